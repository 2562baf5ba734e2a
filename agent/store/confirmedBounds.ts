import type Database from 'better-sqlite3';
import type { UplinkConfig } from '../config/schema.js';

/**
 * Up to which seq (readings) and aseq (aggregates) every configured uplink stream has its data
 * delivered: rows at or below the bound are "confirmed" and may be evicted without loss
 * (docs/storage.md). The streams are taken from the configuration rather than from uplink_cursors,
 * so the cursor of a removed uplink does not pin its data forever.
 *
 * - MQTT: cursor `<id>` for readings, `<id>#aggregates` for aggregates.
 * - HJ 212: per kind (`realtime` when send has realtime; `aggregates` when it has minute, hour or
 *   day) the live cursor `<id>#<name>` means "delivered or handed to the backlog", and the backlog
 *   ranges (uplink_settings `backlog.<name>`) still hold rows above the backlog cursor
 *   `<id>#<name>-backlog`. A row is confirmed only below both: the live cursor and the first row a
 *   backlog range will still send.
 *
 * A cursor not yet created counts as 0. With no stream reading a table, nothing waits for its rows:
 * the bound is Infinity and all of them count as confirmed.
 */
export interface ConfirmedBounds {
  readings: number;
  aggregates: number;
}

interface Range {
  from: number;
  to: number;
}

export class ConfirmedBoundsReader {
  private readonly selectCursor: Database.Statement;
  private readonly selectSetting: Database.Statement;

  constructor(db: Database.Database) {
    // Plain reads: Outbox.cursor() would create a row, i.e. write, and this runs on a full disk too.
    this.selectCursor = db.prepare('SELECT acked_seq FROM uplink_cursors WHERE uplink = ?').pluck();
    this.selectSetting = db.prepare('SELECT value FROM uplink_settings WHERE uplink = ? AND key = ?').pluck();
  }

  bounds(uplinks: readonly UplinkConfig[]): ConfirmedBounds {
    let readings = Number.POSITIVE_INFINITY;
    let aggregates = Number.POSITIVE_INFINITY;
    for (const u of uplinks) {
      switch (u.type) {
        case 'mqtt':
          readings = Math.min(readings, this.cursor(u.id));
          aggregates = Math.min(aggregates, this.cursor(`${u.id}#aggregates`));
          break;
        case 'hj212': {
          const send = new Set<string>(u.send);
          if (send.has('realtime')) readings = Math.min(readings, this.hj212Bound(u.id, 'realtime'));
          if (send.has('minute') || send.has('hour') || send.has('day')) {
            aggregates = Math.min(aggregates, this.hj212Bound(u.id, 'aggregates'));
          }
          break;
        }
      }
    }
    return { readings, aggregates };
  }

  private cursor(key: string): number {
    return (this.selectCursor.get(key) as number | undefined) ?? 0;
  }

  /** Highest seq below which the live and backlog streams of one HJ 212 kind have nothing left to send. */
  private hj212Bound(uplinkId: string, name: string): number {
    let bound = this.cursor(`${uplinkId}#${name}`);
    const backlog = this.cursor(`${uplinkId}#${name}-backlog`);
    for (const r of this.ranges(uplinkId, name)) {
      // The backlog stream sends the rows of (max(cursor, from), to]: the first of them is unsent.
      if (r.to > backlog) bound = Math.min(bound, Math.max(backlog, r.from));
    }
    return bound;
  }

  private ranges(uplinkId: string, name: string): Range[] {
    const text = this.selectSetting.get(uplinkId, `backlog.${name}`) as string | undefined;
    if (text === undefined) return [];
    try {
      const value = JSON.parse(text) as unknown;
      if (!Array.isArray(value)) return [];
      return value.filter(
        (r): r is Range => typeof r?.from === 'number' && typeof r?.to === 'number' && r.to > r.from,
      );
    } catch {
      // Unreadable ranges: the stream treats them as none too (StreamPair); so must we, or
      // nothing would ever be confirmed. Its live cursor still bounds what is confirmed.
      return [];
    }
  }
}
