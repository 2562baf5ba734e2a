import type Database from 'better-sqlite3';
import type { AggregateFlag } from '../core/aggregateRecord.js';
import type { DataFlag } from '../core/reading.js';
import { flagOfCode } from './readingStore.js';

/**
 * One channel's recent history for the status page's trend charts: its readings, or its minute
 * records, in a time range. A channel is (device, channel) here, whatever its code or unit: a unit
 * changed in the config makes a second channels row, and the chart should go on across it.
 * Read-only; both queries are index range scans (readings_ts, aggregates_identity).
 */

/** One point of a trend: time (epoch ms; a minute's start), value (null: none) and flag. */
export interface TrendPoint {
  ts: number;
  value: number | null;
  flag: DataFlag | AggregateFlag;
}

export class ChannelTrendReader {
  private readonly selectReadings: Database.Statement;
  private readonly selectMinutes: Database.Statement;

  constructor(db: Database.Database) {
    // Newest first with the limit, so a channel polled faster than the limit allows keeps its latest part.
    this.selectReadings = db
      .prepare(
        `SELECT r.ts, r.value, r.flag FROM readings r
          WHERE r.ts >= ? AND r.ts < ?
            AND r.channel_id IN (SELECT id FROM channels WHERE device = ? AND channel = ?)
          ORDER BY r.ts DESC, r.seq DESC LIMIT ?`,
      )
      .raw();
    this.selectMinutes = db
      .prepare(
        `SELECT a.start_ts, a.avg, a.flag FROM aggregates a
          WHERE a.channel_id IN (SELECT id FROM channels WHERE device = ? AND channel = ?)
            AND a.period = 'minute' AND a.start_ts >= ? AND a.start_ts < ?
          ORDER BY a.start_ts DESC LIMIT ?`,
      )
      .raw();
  }

  /** Readings stamped in [from, to), oldest first; at most `limit`, the newest ones. */
  readings(device: string, channel: string, from: number, to: number, limit: number): TrendPoint[] {
    const rows = this.selectReadings.all(from, to, device, channel, rowLimit(limit)) as [
      number,
      number | null,
      number,
    ][];
    return rows.reverse().map(([ts, value, flag]) => ({ ts, value, flag: flagOfCode(flag) }));
  }

  /** Minute records (their mean and flag) starting in [from, to), oldest first; at most `limit`, the newest. */
  minutes(device: string, channel: string, from: number, to: number, limit: number): TrendPoint[] {
    const rows = this.selectMinutes.all(device, channel, from, to, rowLimit(limit)) as [
      number,
      number | null,
      AggregateFlag,
    ][];
    return rows.reverse().map(([ts, value, flag]) => ({ ts, value, flag }));
  }
}

function rowLimit(limit: number): number {
  return Math.max(0, Math.trunc(limit));
}
