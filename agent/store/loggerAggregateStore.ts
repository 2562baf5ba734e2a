import type Database from 'better-sqlite3';
import { type Clock, systemClock } from '../core/clock.js';
import { storeWriteError } from './storeErrors.js';

/**
 * A record a data logger computed itself (HJ 212 2051/2061/2031), as the HJ 212 input hands it over.
 * Declared here by shape: the store sits below acquisition (agent/acquisition/hj212Input/inputTypes.ts
 * has the same fields as LoggerAggregateRecord).
 */
export interface LoggerAggregateRow {
  device: string;
  channel: string;
  code: string | null;
  unit: string | null;
  mn: string;
  period: string;
  start: number;
  dataTime: string;
  min: number | null;
  avg: number | null;
  max: number | null;
  cou: number | null;
  flag: string;
}

/**
 * The logger's own minute/hour/day records (table logger_aggregates, migration 6), kept beside the
 * agent's aggregates. A re-sent record replaces the stored one (the logger's latest word on that period).
 */
export class LoggerAggregateStore {
  private readonly clock: Pick<Clock, 'now'>;
  private readonly insertAll: (rows: readonly LoggerAggregateRow[], now: number) => void;
  private readonly countRows: Database.Statement;
  private readonly latest: Database.Statement;

  constructor(deps: { db: Database.Database; clock?: Pick<Clock, 'now'> }) {
    this.clock = deps.clock ?? systemClock;
    const insert = deps.db.prepare(
      `INSERT OR REPLACE INTO logger_aggregates
         (device, channel, period, start, mn, code, unit, data_time, min, avg, max, cou, flag, received_at)
       VALUES (@device, @channel, @period, @start, @mn, @code, @unit, @dataTime, @min, @avg, @max, @cou, @flag, @now)`,
    );
    this.insertAll = deps.db.transaction((rows: readonly LoggerAggregateRow[], now: number) => {
      for (const r of rows) insert.run({ ...r, now });
    });
    this.countRows = deps.db.prepare('SELECT count(*) FROM logger_aggregates').pluck();
    this.latest = deps.db.prepare(
      `SELECT device, channel, code, unit, mn, period, start, data_time AS dataTime, min, avg, max, cou, flag
         FROM logger_aggregates WHERE device = ? ORDER BY start DESC, channel LIMIT ?`,
    );
  }

  /** One transaction per upload; throws a STORE_* error (the input then sends no 9014). */
  keep(rows: readonly LoggerAggregateRow[]): void {
    try {
      this.insertAll(rows, this.clock.now());
    } catch (err) {
      throw storeWriteError(err, `logger_aggregates write: ${String(err)}`, { records: rows.length });
    }
  }

  count(): number {
    return this.countRows.get() as number;
  }

  /** A device's newest records, newest first. */
  recent(device: string, limit: number): LoggerAggregateRow[] {
    return this.latest.all(device, limit) as LoggerAggregateRow[];
  }
}
