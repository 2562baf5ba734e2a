import type Database from 'better-sqlite3';
import type { Hj212SendKind } from '../config/hj212Schema.js';
import { BacklogQueries, type Pending } from '../store/backlogQueries.js';
import { type BacklogLine, type BacklogStream, CursorTable } from './backlogLine.js';
import { hj212BacklogLines } from './hj212Backlog.js';

export { type BacklogLine, type BacklogStream, CursorTable } from './backlogLine.js';

/**
 * What `station-agent backlog` reports: per configured uplink and stream, how much the store still
 * holds for it and since when. Pure over an open (read-only) database, so tests run it on a store
 * they filled. The cursor keys are the uplinks' own:
 * - MQTT (mqttStreams.ts): readings under the uplink id, `<id>#aggregates`, `<id>#events`;
 * - HJ 212 (hj212/streamPair.ts): per kind of data a live cursor and a re-send (补传) cursor with
 *   its persisted ranges; see hj212Backlog.ts.
 */

export interface BacklogReport {
  lines: BacklogLine[];
  /** Cursor keys of configured uplinks this version does not interpret, with their value. */
  otherCursors: { uplink: string; key: string; cursor: number }[];
  /** Cursor keys of uplinks no longer in the configuration (their rows are kept, see docs). */
  unknownCursors: { key: string; cursor: number }[];
  lastSeq: number;
}

/** An uplink as the report needs it (a subset of its configuration). */
export type BacklogUplink =
  | { id: string; type: 'mqtt' }
  | { id: string; type: 'hj212'; send?: readonly Hj212SendKind[] };

/** The backlog of each configured uplink, in configuration order. */
export function backlogReport(db: Database.Database, uplinks: readonly BacklogUplink[]): BacklogReport {
  const q = new BacklogQueries(db);
  const cursors = new CursorTable(q.cursors());
  const lines: BacklogLine[] = [];
  const otherCursors: BacklogReport['otherCursors'] = [];
  for (const u of uplinks) {
    if (u.type === 'mqtt') lines.push(...mqttLines(u.id, q, cursors));
    else lines.push(...hj212BacklogLines(u, q, cursors));
    for (const row of cursors.all()) {
      if (!cursors.used.has(row.key) && (row.key === u.id || row.key.startsWith(`${u.id}#`))) {
        cursors.used.add(row.key);
        otherCursors.push({ uplink: u.id, key: row.key, cursor: row.ackedSeq });
      }
    }
  }
  const unknownCursors = cursors
    .all()
    .filter((r) => !cursors.used.has(r.key))
    .map((r) => ({ key: r.key, cursor: r.ackedSeq }));
  return { lines, otherCursors, unknownCursors, lastSeq: q.lastReadingSeq() };
}

function mqttLines(id: string, q: BacklogQueries, cursors: CursorTable): BacklogLine[] {
  const line = (stream: BacklogStream, key: string, count: (after: number) => Pending): BacklogLine => {
    const row = cursors.get(key);
    const pending = count(row?.ackedSeq ?? 0);
    return {
      uplink: id,
      type: 'mqtt',
      stream,
      cursorKey: key,
      cursor: row?.ackedSeq ?? null,
      depth: pending.count,
      oldestTs: pending.oldestTs,
      updatedAt: row?.updatedAt ?? null,
    };
  };
  const lines = [line('readings', id, (after) => q.readings({ after }))];
  // The aggregates and events streams exist once the uplink has opened them, or once there is
  // something to send: a station without them is not shown two empty lines per uplink.
  const aggregatesKey = `${id}#aggregates`;
  if (cursors.has(aggregatesKey) || q.hasAggregates()) {
    lines.push(line('aggregates', aggregatesKey, (after) => q.aggregates({ after })));
  }
  const eventsKey = `${id}#events`;
  if (cursors.has(eventsKey) || q.hasEvents()) {
    lines.push(line('events', eventsKey, (after) => q.events({ after })));
  }
  return lines;
}
