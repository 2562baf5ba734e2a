import type Database from 'better-sqlite3';
import type { UplinkConfig } from '../config/schema.js';

/**
 * Up to which seq (readings) and aseq (aggregates) every configured uplink stream has its data
 * delivered: rows at or below the bound are "confirmed" and may be evicted without loss
 * (docs/storage.md). The streams are taken from the configuration rather than from uplink_cursors,
 * so the cursor of a removed uplink does not pin its data forever.
 *
 * Which cursors bound an uplink's data is the uplink's own rule: its plugin's `confirmedBounds`
 * (agent/uplink/mqttPlugin.ts, agent/uplink/hj212/hj212Plugin.ts), handed in by the composition
 * root as `boundsOf`. A plugin cannot leave it out (UplinkPlugin requires it), so a new uplink's
 * unsent rows are never counted as confirmed by omission.
 *
 * A cursor not yet created counts as 0. With no stream reading a table, nothing waits for its rows:
 * the bound is Infinity and all of them count as confirmed.
 */
export interface ConfirmedBounds {
  readings: number;
  aggregates: number;
}

/** What an uplink's bound rule may read: plain reads, never a write (this runs on a full disk too). */
export interface CursorLookup {
  /** The acked seq of a cursor key; 0 when the cursor was never created. */
  cursor(key: string): number;
  /** An uplink's persisted setting (uplink_settings), as stored; undefined when absent. */
  setting(uplinkId: string, key: string): string | undefined;
}

/**
 * One uplink's bounds: a table it reads gets the seq up to which it has sent everything; a table it
 * does not read is left out (it waits for none of its rows).
 */
export type UplinkBounds = Partial<ConfirmedBounds>;

/** The bound rule of any configured uplink (the plugins' `confirmedBounds`, dispatched on its type). */
export type UplinkBoundsRule = (uplink: UplinkConfig, lookup: CursorLookup) => UplinkBounds;

export class ConfirmedBoundsReader implements CursorLookup {
  private readonly selectCursor: Database.Statement;
  private readonly selectSetting: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly boundsOf: UplinkBoundsRule,
  ) {
    // Plain reads: Outbox.cursor() would create a row, i.e. write, and this runs on a full disk too.
    this.selectCursor = db.prepare('SELECT acked_seq FROM uplink_cursors WHERE uplink = ?').pluck();
    this.selectSetting = db.prepare('SELECT value FROM uplink_settings WHERE uplink = ? AND key = ?').pluck();
  }

  bounds(uplinks: readonly UplinkConfig[]): ConfirmedBounds {
    let readings = Number.POSITIVE_INFINITY;
    let aggregates = Number.POSITIVE_INFINITY;
    for (const u of uplinks) {
      const b = this.boundsOf(u, this);
      if (b.readings !== undefined) readings = Math.min(readings, b.readings);
      if (b.aggregates !== undefined) aggregates = Math.min(aggregates, b.aggregates);
    }
    return { readings, aggregates };
  }

  cursor(key: string): number {
    return (this.selectCursor.get(key) as number | undefined) ?? 0;
  }

  setting(uplinkId: string, key: string): string | undefined {
    return this.selectSetting.get(uplinkId, key) as string | undefined;
  }
}
