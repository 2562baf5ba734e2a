import type Database from 'better-sqlite3';
import { uplinkBacklogLines } from '../app/plugins.js';
import type { UplinkConfig } from '../config/schema.js';
import { BacklogQueries } from '../store/backlogQueries.js';
import { type BacklogLine, CursorTable } from '../uplink/backlogLine.js';

export { type BacklogLine, CursorTable } from '../uplink/backlogLine.js';

/**
 * What `station-agent backlog` reports: per configured uplink and stream, how much the store still
 * holds for it and since when. Pure over an open (read-only) database, so tests run it on a store
 * they filled. Each uplink's plugin makes its lines from its own cursor keys (UplinkPlugin.backlogLines:
 * agent/uplink/mqttBacklog.ts, agent/uplink/hj212/backlogLines.ts); cursors under an uplink's id
 * that no line read are listed apart.
 */

export interface BacklogReport {
  lines: BacklogLine[];
  /** Cursor keys of configured uplinks this version does not interpret, with their value. */
  otherCursors: { uplink: string; key: string; cursor: number }[];
  /** Cursor keys of uplinks no longer in the configuration (their rows are kept, see docs). */
  unknownCursors: { key: string; cursor: number }[];
  lastSeq: number;
}

/** The backlog of each configured uplink, in configuration order. */
export function backlogReport(db: Database.Database, uplinks: readonly UplinkConfig[]): BacklogReport {
  const q = new BacklogQueries(db);
  const cursors = new CursorTable(q.cursors());
  const lines: BacklogLine[] = [];
  const otherCursors: BacklogReport['otherCursors'] = [];
  for (const u of uplinks) {
    lines.push(...uplinkBacklogLines(u, q, cursors));
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
