import type Database from 'better-sqlite3';
import type { EventStore } from './eventStore.js';

/**
 * The deletions the store budget (storeBudget.ts) is made of; docs/storage.md has the order.
 *
 * Readings go only as a seq prefix, oldest first, never leaving a hole: ReadingStore.countAfter
 * derives its count from the first and last seq after a cursor and relies on it. Aggregates go
 * oldest aseq first too. Rows not confirmed upstream go only through readingsUntil and
 * aggregatesUntil, which write one data-loss event per (table, channel[, period]) in the same
 * transaction as the deletes: a crash can never leave the data gone and its loss unrecorded.
 */

export type LossReason = 'storage-cap' | 'disk-floor' | 'disk-full';

/** The station event recording rows deleted before every uplink had them (forwarded like data). */
export interface DataLossEvent {
  kind: 'data-loss';
  table: 'readings' | 'aggregates';
  device: string;
  channel: string;
  code: string | null;
  /** Aggregates only: minute, hour or day. */
  period?: string;
  /** First and last time of the lost rows, epoch ms (aggregates: first start, last end). */
  from: number;
  to: number;
  count: number;
  /** seq (readings) or aseq (aggregates) range; null for readings dropped before they had one. */
  seqFrom: number | null;
  seqTo: number | null;
  reason: LossReason;
}

export interface EvictionResult {
  /** Rows deleted. */
  count: number;
  /** Data-loss events recorded (empty unless `loss` was given). */
  losses: DataLossEvent[];
}

/** SQLite compares an unbounded cursor (Infinity) fine, but bound integers keep the plans simple. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

interface LossRow {
  device: string;
  channel: string;
  code: string | null;
  period?: string;
  from: number;
  to: number;
  count: number;
  seqFrom: number;
  seqTo: number;
}

export class Eviction {
  private readonly db: Database.Database;
  private readonly events: Pick<EventStore, 'record'>;
  private readonly now: () => number;
  private readonly deleteLoggerAggregates: Database.Statement;
  private readonly readingChunkEnd: Database.Statement;
  private readonly readingRetentionEnd: Database.Statement;
  private readonly readingLosses: Database.Statement;
  private readonly deleteReadings: Database.Statement;
  private readonly pruneQc: Database.Statement;
  private readonly aggregateChunkEnd: Database.Statement;
  private readonly aggregateRetentionEnd: Database.Statement;
  private readonly aggregateLosses: Database.Statement;
  private readonly deleteAggregates: Database.Statement;
  private readonly readingsTx: Database.Transaction<
    (upTo: number, limit: number, until?: Until) => EvictionResult
  >;
  private readonly aggregatesTx: Database.Transaction<
    (upTo: number, limit: number, until?: Until) => EvictionResult
  >;

  constructor(deps: { db: Database.Database; events: Pick<EventStore, 'record'>; now: () => number }) {
    const { db } = deps;
    this.db = db;
    this.events = deps.events;
    this.now = deps.now;
    // The last seq of a chunk of `limit` rows, walked in rowid order from the oldest.
    this.readingChunkEnd = db
      .prepare('SELECT seq FROM readings WHERE seq <= ? ORDER BY seq LIMIT 1 OFFSET ?')
      .pluck();
    // The first reading (in seq order) still within retention ends the deletable prefix. `+ts`
    // keeps the planner off the ts index: it walks seqs from the oldest and stops at once.
    this.readingRetentionEnd = db
      .prepare('SELECT seq FROM readings WHERE seq <= ? AND +ts >= ? ORDER BY seq LIMIT 1')
      .pluck();
    this.readingLosses = db.prepare(
      `SELECT c.device, c.channel, c.code, min(r.ts) AS "from", max(r.ts) AS "to", count(*) AS count,
              min(r.seq) AS seqFrom, max(r.seq) AS seqTo
         FROM readings r JOIN channels c ON c.id = r.channel_id
        WHERE r.seq <= ? GROUP BY r.channel_id ORDER BY seqFrom`,
    );
    this.deleteReadings = db.prepare('DELETE FROM readings WHERE seq <= ?');
    this.deleteLoggerAggregates = db.prepare(
      `DELETE FROM logger_aggregates WHERE (device, channel, period, start) IN
         (SELECT device, channel, period, start FROM logger_aggregates WHERE start < ? LIMIT ?)`,
    );
    // A channel's qc/state row in effect for its first remaining reading is its last row at or
    // below the deleted prefix (or a later one): keep that one, drop the older ones.
    this.pruneQc = db.prepare(
      `DELETE FROM qc_changes WHERE seq <= @end AND seq <
         (SELECT max(q.seq) FROM qc_changes q WHERE q.channel_id = qc_changes.channel_id AND q.seq <= @end)`,
    );
    this.aggregateChunkEnd = db
      .prepare('SELECT aseq FROM aggregates WHERE aseq <= ? ORDER BY aseq LIMIT 1 OFFSET ?')
      .pluck();
    this.aggregateRetentionEnd = db
      .prepare('SELECT aseq FROM aggregates WHERE aseq <= ? AND +end_ts >= ? ORDER BY aseq LIMIT 1')
      .pluck();
    this.aggregateLosses = db.prepare(
      `SELECT c.device, c.channel, c.code, a.period, min(a.start_ts) AS "from", max(a.end_ts) AS "to",
              count(*) AS count, min(a.aseq) AS seqFrom, max(a.aseq) AS seqTo
         FROM aggregates a JOIN channels c ON c.id = a.channel_id
        WHERE a.aseq <= ? GROUP BY a.channel_id, a.period ORDER BY seqFrom`,
    );
    this.deleteAggregates = db.prepare('DELETE FROM aggregates WHERE aseq <= ?');
    this.readingsTx = db.transaction((upTo: number, limit: number, until?: Until) =>
      this.chunks(upTo, limit, until, {
        chunkEnd: this.readingChunkEnd,
        losses: until ? this.readingLosses : null,
        remove: (end) => {
          const n = this.deleteReadings.run(end).changes;
          this.pruneQc.run({ end });
          return n;
        },
      }),
    );
    this.aggregatesTx = db.transaction((upTo: number, limit: number, until?: Until) =>
      this.chunks(upTo, limit, until, {
        chunkEnd: this.aggregateChunkEnd,
        losses: until ? this.aggregateLosses : null,
        remove: (end) => this.deleteAggregates.run(end).changes,
      }),
    );
  }

  /** Deletes up to `limit` of the oldest readings with seq <= `upTo` (confirmed: no loss recorded). */
  readings(upTo: number, limit: number): EvictionResult {
    return this.readingsTx.immediate(upTo, limit);
  }

  /** Deletes up to `limit` of the oldest readings with seq <= `upTo` stamped before `cutoff` (retention). */
  readingsBefore(cutoff: number, upTo: number, limit: number): EvictionResult {
    const first = this.readingRetentionEnd.get(bound(upTo), cutoff) as number | undefined;
    return this.readings(first === undefined ? upTo : first - 1, limit);
  }

  /**
   * Deletes unconfirmed readings, oldest first, chunk by chunk until `until.enough()` (measured
   * inside the transaction) or none is left; records one data-loss event per channel for all of
   * them, in the same transaction as the deletes.
   */
  readingsUntil(until: Until): EvictionResult {
    return this.readingsTx.immediate(MAX_SEQ, until.chunk, until);
  }

  /** Deletes up to `limit` of the oldest aggregates with aseq <= `upTo` (confirmed). */
  aggregates(upTo: number, limit: number): EvictionResult {
    return this.aggregatesTx.immediate(upTo, limit);
  }

  /** Deletes up to `limit` of the oldest aggregates with aseq <= `upTo` that ended before `cutoff`. */
  aggregatesBefore(cutoff: number, upTo: number, limit: number): EvictionResult {
    const first = this.aggregateRetentionEnd.get(bound(upTo), cutoff) as number | undefined;
    return this.aggregates(first === undefined ? upTo : first - 1, limit);
  }

  /** As readingsUntil, for aggregates: one data-loss event per channel and period. */
  aggregatesUntil(until: Until): EvictionResult {
    return this.aggregatesTx.immediate(MAX_SEQ, until.chunk, until);
  }

  /**
   * Deletes up to `limit` of a data logger's own records (logger_aggregates, HJ 212 input) whose
   * period started before `cutoff`. Kept locally only (no uplink cursor), so retention is their bound.
   */
  loggerAggregatesBefore(cutoff: number, limit: number): number {
    return this.deleteLoggerAggregates.run(cutoff, limit).changes;
  }

  /** Records readings dropped from memory before they were stored (no seq): one event per channel. */
  recordDropped(losses: readonly DataLossEvent[]): void {
    this.db
      .transaction(() => {
        for (const e of losses) this.events.record(this.now(), e);
      })
      .immediate();
  }

  /**
   * Inside the transaction: one chunk of at most `limit` rows at or below `upTo`, or with `until`
   * chunks until it has enough. Loss rows of successive chunks merge per channel: the chunks are
   * consecutive prefixes, so min/max/sum describe the whole deleted range exactly.
   */
  private chunks(upTo: number, limit: number, until: Until | undefined, t: TableOps): EvictionResult {
    const merged = new Map<string, LossRow>();
    let count = 0;
    for (let i = 0; i < (until ? MAX_CHUNKS : 1); i++) {
      if (until?.enough()) break;
      const end = this.chunkEnd(t.chunkEnd, upTo, limit);
      if (end === null) break;
      for (const r of t.losses ? (t.losses.all(end) as LossRow[]) : []) mergeLoss(merged, r);
      count += t.remove(end);
    }
    const losses = until ? this.recordLosses(until.table, [...merged.values()], until.reason) : [];
    return { count, losses };
  }

  /** The highest seq of a chunk of at most `limit` rows at or below `upTo`; null when there are none. */
  private chunkEnd(stmt: Database.Statement, upTo: number, limit: number): number | null {
    const n = Math.trunc(limit);
    if (n <= 0 || upTo < 1) return null;
    const cap = bound(upTo);
    const last = stmt.get(cap, n - 1) as number | undefined;
    if (last !== undefined) return last;
    // Fewer than `limit` rows: all of them, if there is any.
    return stmt.get(cap, 0) === undefined ? null : cap;
  }

  private recordLosses(table: DataLossEvent['table'], rows: LossRow[], reason: LossReason): DataLossEvent[] {
    const ts = this.now();
    return rows.map((r) => {
      const event: DataLossEvent = {
        kind: 'data-loss',
        table,
        device: r.device,
        channel: r.channel,
        code: r.code,
        ...(r.period !== undefined ? { period: r.period } : {}),
        from: r.from,
        to: r.to,
        count: r.count,
        seqFrom: r.seqFrom,
        seqTo: r.seqTo,
        reason,
      };
      this.events.record(ts, event);
      return event;
    });
  }
}

/** Bounds one unconfirmed eviction (MAX_CHUNKS x chunk rows); the next check continues. */
const MAX_CHUNKS = 500;

/** When to stop an unconfirmed eviction, and what to record. */
export interface Until {
  table: DataLossEvent['table'];
  reason: LossReason;
  /** Rows per chunk. */
  chunk: number;
  enough(): boolean;
}

interface TableOps {
  chunkEnd: Database.Statement;
  losses: Database.Statement | null;
  remove(end: number): number;
}

function mergeLoss(merged: Map<string, LossRow>, r: LossRow): void {
  const key = JSON.stringify([r.device, r.channel, r.code, r.period ?? null]);
  const m = merged.get(key);
  if (!m) {
    merged.set(key, { ...r });
    return;
  }
  m.from = Math.min(m.from, r.from);
  m.to = Math.max(m.to, r.to);
  m.count += r.count;
  m.seqFrom = Math.min(m.seqFrom, r.seqFrom);
  m.seqTo = Math.max(m.seqTo, r.seqTo);
}

function bound(seq: number): number {
  return Math.min(Math.max(0, Math.floor(seq)), MAX_SEQ);
}
