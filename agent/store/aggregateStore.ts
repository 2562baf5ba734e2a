import type Database from 'better-sqlite3';
import type { AggregateFlag, AggregateRecord, ChannelIdentity, PeriodKind } from '../core/aggregateRecord.js';
import { type Logger, silentLogger } from '../core/log.js';
import { storeWriteError } from './storeErrors.js';

/**
 * Minute, hour and day records, mirroring ReadingStore for uplinks: `aseq` plays the part of `seq`
 * (readAfter, lastAseq, onCommitted), so an uplink forwards aggregates with a second cursor exactly
 * as it forwards readings. Identity is (channel, period, start): storing a period again replaces
 * the row and gives it a new aseq, so the new version is sent again and replaces the old one
 * downstream; storing an identical record again changes nothing.
 */

export interface StoredAggregate extends AggregateRecord {
  aseq: number;
}

export type AggregateCommitListener = (aggregates: readonly StoredAggregate[]) => void;

interface AggregateRow {
  aseq: number;
  device: string;
  channel: string;
  code: string | null;
  unit: string | null;
  period: PeriodKind;
  start_ts: number;
  end_ts: number;
  min: number | null;
  avg: number | null;
  max: number | null;
  cou: number | null;
  count: number;
  valid: number;
  expected: number;
  flag: AggregateFlag;
  ok: number;
}

const COLUMNS = `a.aseq, c.device, c.channel, c.code, c.unit, a.period, a.start_ts, a.end_ts,
  a.min, a.avg, a.max, a.cou, a.count, a.valid, a.expected, a.flag, a.ok`;
const FROM = 'FROM aggregates a JOIN channels c ON c.id = a.channel_id';

export class AggregateStore {
  private readonly log: Logger;
  private readonly listeners = new Set<AggregateCommitListener>();
  private readonly channelIds = new Map<string, number>();
  private readonly findChannel: Database.Statement;
  private readonly insertChannel: Database.Statement;
  private readonly selectExisting: Database.Statement;
  private readonly replace: Database.Statement;
  private readonly selectByAseq: Database.Statement;
  private readonly selectAfter: Database.Statement;
  private readonly selectCountAfter: Database.Statement;
  private readonly selectLastAseq: Database.Statement;
  private readonly selectRange: Database.Statement;
  private readonly selectLast: Database.Statement;
  private readonly selectFirstStart: Database.Statement;
  private readonly selectFirstEndingSince: Database.Statement;
  private readonly upsertTx: Database.Transaction<(records: readonly AggregateRecord[]) => StoredAggregate[]>;

  constructor(deps: { db: Database.Database; log?: Logger }) {
    const { db } = deps;
    this.log = deps.log ?? silentLogger();
    this.selectFirstEndingSince = db.prepare('SELECT min(aseq) FROM aggregates WHERE end_ts >= ?').pluck();
    // The same channel rows as ReadingStore (same unique key), so readings and aggregates join.
    this.findChannel = db
      .prepare('SELECT id FROM channels WHERE device = ? AND channel = ? AND code IS ? AND unit IS ?')
      .pluck();
    this.insertChannel = db.prepare('INSERT INTO channels (device, channel, code, unit) VALUES (?, ?, ?, ?)');
    this.selectExisting = db.prepare(
      `SELECT ${COLUMNS} ${FROM} WHERE a.channel_id = ? AND a.period = ? AND a.start_ts = ?`,
    );
    // REPLACE deletes the row with the same identity and inserts a new one: a new, higher aseq.
    this.replace = db.prepare(
      `INSERT OR REPLACE INTO aggregates
         (channel_id, period, start_ts, end_ts, min, avg, max, cou, count, valid, expected, flag, ok)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectByAseq = db.prepare(`SELECT ${COLUMNS} ${FROM} WHERE a.aseq = ?`);
    this.selectAfter = db.prepare(`SELECT ${COLUMNS} ${FROM} WHERE a.aseq > ? ORDER BY a.aseq LIMIT ?`);
    this.selectCountAfter = db.prepare('SELECT count(*) FROM aggregates WHERE aseq > ?').pluck();
    this.selectLastAseq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'aggregates'").pluck();
    this.selectRange = db.prepare(
      `SELECT ${COLUMNS} ${FROM} WHERE a.channel_id = ? AND a.period = ? AND a.start_ts >= ? AND a.start_ts < ?
        ORDER BY a.start_ts`,
    );
    this.selectLast = db.prepare(
      `SELECT ${COLUMNS} ${FROM} WHERE a.channel_id = ? AND a.period = ? ORDER BY a.start_ts DESC LIMIT 1`,
    );
    this.selectFirstStart = db
      .prepare(
        'SELECT start_ts FROM aggregates WHERE channel_id = ? AND period = ? ORDER BY start_ts LIMIT 1',
      )
      .pluck();
    this.upsertTx = db.transaction((records: readonly AggregateRecord[]) => {
      const stored: StoredAggregate[] = [];
      for (const r of records) {
        const channelId = this.channelId(r, true)!;
        const existing = this.selectExisting.get(channelId, r.period, r.start) as AggregateRow | undefined;
        if (existing && sameRecord(toAggregate(existing), r)) continue;
        const res = this.replace.run(
          channelId,
          r.period,
          r.start,
          r.end,
          finite(r.min),
          finite(r.avg),
          finite(r.max),
          finite(r.cou),
          r.count,
          r.valid,
          r.expected,
          r.flag,
          r.ok ? 1 : 0,
        );
        stored.push(toAggregate(this.selectByAseq.get(Number(res.lastInsertRowid)) as AggregateRow));
      }
      return stored;
    });
  }

  /**
   * Stores the records in one transaction and returns those that changed, with their aseq. Throws
   * AgentError STORE_FULL (disk full) or STORE_FAILED when the commit fails; nothing is stored then.
   */
  upsert(records: readonly AggregateRecord[]): StoredAggregate[] {
    if (records.length === 0) return [];
    let stored: StoredAggregate[];
    try {
      stored = this.upsertTx.immediate(records);
    } catch (err) {
      // Channel ids cached inside the failed transaction may belong to rolled-back rows.
      this.channelIds.clear();
      throw storeWriteError(err, `could not commit ${records.length} aggregate(s): ${String(err)}`, {
        count: records.length,
      });
    }
    if (stored.length > 0) {
      for (const fn of this.listeners) {
        try {
          fn(stored);
        } catch (err) {
          this.log.error({ err }, 'aggregate store commit listener failed');
        }
      }
    }
    return stored;
  }

  onCommitted(fn: AggregateCommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Highest aseq ever given (0 for none), even if that row was replaced or deleted since. */
  lastAseq(): number {
    return (this.selectLastAseq.get() as number | undefined) ?? 0;
  }

  /**
   * Lowest aseq of a record whose period ends at or after `ts`, or null when none does. A scan of the
   * table (no index on end_ts): it is asked once, when an uplink with a `backfill` first runs.
   */
  firstAseqEndingSince(ts: number): number | null {
    return (this.selectFirstEndingSince.get(ts) as number | null) ?? null;
  }

  /** Up to `limit` records with aseq > `aseq`, in aseq order. */
  readAfter(aseq: number, limit: number): StoredAggregate[] {
    return (this.selectAfter.all(aseq, Math.max(0, Math.trunc(limit))) as AggregateRow[]).map(toAggregate);
  }

  countAfter(aseq: number): number {
    return this.selectCountAfter.get(aseq) as number;
  }

  /** Records of one channel and period kind starting in [from, to), oldest first (history, parent periods). */
  byRange(channel: ChannelIdentity, period: PeriodKind, from: number, to: number): StoredAggregate[] {
    const id = this.channelId(channel, false);
    if (id === null) return [];
    return (this.selectRange.all(id, period, from, to) as AggregateRow[]).map(toAggregate);
  }

  /** The newest record of one channel and period kind, or null. */
  last(channel: ChannelIdentity, period: PeriodKind): StoredAggregate | null {
    const id = this.channelId(channel, false);
    if (id === null) return null;
    const row = this.selectLast.get(id, period) as AggregateRow | undefined;
    return row ? toAggregate(row) : null;
  }

  /** Start of the oldest record of one channel and period kind, or null. */
  firstStart(channel: ChannelIdentity, period: PeriodKind): number | null {
    const id = this.channelId(channel, false);
    if (id === null) return null;
    return (this.selectFirstStart.get(id, period) as number | undefined) ?? null;
  }

  private channelId(c: ChannelIdentity, create: boolean): number | null {
    const key = JSON.stringify([c.device, c.channel, c.code, c.unit]);
    const cached = this.channelIds.get(key);
    if (cached !== undefined) return cached;
    let id = this.findChannel.get(c.device, c.channel, c.code, c.unit) as number | undefined;
    if (id === undefined && create) {
      id = Number(this.insertChannel.run(c.device, c.channel, c.code, c.unit).lastInsertRowid);
    }
    if (id === undefined) return null;
    this.channelIds.set(key, id);
    return id;
  }
}

function toAggregate(row: AggregateRow): StoredAggregate {
  return {
    aseq: row.aseq,
    device: row.device,
    channel: row.channel,
    code: row.code,
    unit: row.unit,
    period: row.period,
    start: row.start_ts,
    end: row.end_ts,
    min: row.min,
    avg: row.avg,
    max: row.max,
    cou: row.cou,
    count: row.count,
    valid: row.valid,
    expected: row.expected,
    flag: row.flag,
    ok: row.ok === 1,
  };
}

const FIELDS = ['end', 'min', 'avg', 'max', 'cou', 'count', 'valid', 'expected', 'flag', 'ok'] as const;

function sameRecord(a: AggregateRecord, b: AggregateRecord): boolean {
  return FIELDS.every((f) => (f === 'ok' ? a.ok === b.ok : a[f] === finiteOrSame(b[f])));
}

function finiteOrSame<T>(v: T): T | null {
  return typeof v === 'number' && !Number.isFinite(v) ? null : v;
}

function finite(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}
