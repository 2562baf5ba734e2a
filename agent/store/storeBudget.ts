import type Database from 'better-sqlite3';
import type { UplinkConfig } from '../config/schema.js';
import type { StorageConfig } from '../config/storageSchema.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { type EvictionKind, type MetricsSink, noMetrics } from '../core/metricsSink.js';
import { ConfirmedBoundsReader, type UplinkBoundsRule } from './confirmedBounds.js';
import type { EventStore } from './eventStore.js';
import { type DataLossEvent, Eviction, type EvictionResult, type LossReason } from './eviction.js';
import { type StoreUsage, StoreUsageMeter } from './storeUsage.js';

/**
 * Keeps the store within storage.maxSize and above storage.minFreeDisk, and applies retention.
 * The exact order and its reasons are in docs/storage.md; in short, oldest first within each step:
 *   always:           1. confirmed readings past retention, 2. confirmed aggregates past retention
 *   under pressure:   3. confirmed readings, 4. confirmed aggregates
 *   at the hard cap:  5. unconfirmed readings, 6. unconfirmed aggregates (each recorded as data loss)
 * Pressure starts at HIGH_WATER of maxSize (or below minFreeDisk x FLOOR_SOFT) and evicts down to
 * LOW_WATER (or up to minFreeDisk x FLOOR_TARGET), so it does not evict one row at a time.
 */

const HIGH_WATER = 0.9;
const LOW_WATER = 0.8;
const FLOOR_SOFT = 1.1;
const FLOOR_TARGET = 1.2;
/** Rows per delete transaction: short enough not to stall polling, long enough to make progress. */
const CHUNK_ROWS = 5_000;
/** Unconfirmed rows per chunk: small, so what is lost overshoots what had to go by little. */
const LOSS_CHUNK_ROWS = 1000;
/** Retention rows per check: catching up after a config change spreads over several checks. */
const RETENTION_ROWS_PER_CHECK = 200_000;
/** Bound on delete transactions per pressure phase; the next check continues. */
const MAX_ROUNDS = 200;
/** After a failed write with no pressure measured (e.g. max_page_count), free at least this share. */
const EMERGENCY_SHARE = 0.1;
/** SQLite's largest max_page_count. */
const MAX_PAGE_COUNT = 4_294_967_294;
/** Below the disk floor, the share of the file kept free for new data by evicting unconfirmed data. */
const FLOOR_HEADROOM = 0.05;

export type BudgetTrigger = 'timer' | 'disk-full';

export interface StoreBudgetStats {
  usedBytes: number;
  availableBytes: number;
  /** Rows deleted since start, by table and kind (retention, confirmed, unconfirmed). */
  evicted: Record<'readings' | 'aggregates', Record<Exclude<EvictionKind, 'dropped'>, number>>;
}

export interface StoreBudgetDeps {
  db: Database.Database;
  storage: Pick<StorageConfig, 'path' | 'maxSize' | 'minFreeDisk' | 'retention' | 'checkInterval'>;
  /** The uplinks whose cursors decide what is confirmed (see confirmedBounds.ts). */
  uplinks: readonly UplinkConfig[];
  /** Each uplink's bound rule (its plugin's confirmedBounds; app/plugins.ts `uplinkBounds`). */
  boundsOf: UplinkBoundsRule;
  events: Pick<EventStore, 'record'>;
  clock: Clock;
  log: Logger;
  metrics?: MetricsSink;
  /** Measures the store; built from db and storage.path when absent (tests inject statfs through it). */
  meter?: StoreUsageMeter;
}

type Table = 'readings' | 'aggregates';

export class StoreBudget {
  private readonly deps: StoreBudgetDeps;
  private readonly meter: StoreUsageMeter;
  private readonly eviction: Eviction;
  private readonly bounds: ConfirmedBoundsReader;
  private readonly metrics: MetricsSink;
  private readonly evicted: StoreBudgetStats['evicted'] = {
    readings: { retention: 0, confirmed: 0, unconfirmed: 0 },
    aggregates: { retention: 0, confirmed: 0, unconfirmed: 0 },
  };
  private last: StoreUsage | null = null;
  /** The last pressure check found nothing it may evict (its warning is not repeated). */
  private stuck = false;
  private timer: TimerHandle | null = null;

  constructor(deps: StoreBudgetDeps) {
    this.deps = deps;
    const { db, storage, clock } = deps;
    this.meter = deps.meter ?? new StoreUsageMeter({ db, path: storage.path });
    this.eviction = new Eviction({ db, events: deps.events, now: () => clock.now() });
    this.bounds = new ConfirmedBoundsReader(db, deps.boundsOf);
    this.metrics = deps.metrics ?? noMetrics;
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    // The cap holds between checks too: the file cannot grow past maxSize, a write that would
    // fails with SQLITE_FULL (STORE_FULL), and the emergency eviction makes room. A cap below
    // the file's current size leaves it at that size (SQLite), writes then reuse freed pages.
    db.pragma(
      `max_page_count = ${Math.max(1, Math.min(MAX_PAGE_COUNT, Math.floor(storage.maxSize / pageSize)))}`,
    );
    // The WAL counts against maxSize and only shrinks when truncated: with a small cap, checkpoint
    // (and so reuse the WAL from its start) well before SQLite's default of 1000 pages.
    const pages = Math.max(16, Math.min(1000, Math.floor(storage.maxSize / pageSize / 16)));
    db.pragma(`wal_autocheckpoint = ${pages}`);
  }

  start(): void {
    if (this.timer) return;
    this.schedule(0);
  }

  stop(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  stats(): StoreBudgetStats {
    const u = this.last;
    return {
      usedBytes: u?.usedBytes ?? 0,
      availableBytes: u?.availableBytes ?? 0,
      evicted: {
        readings: { ...this.evicted.readings },
        aggregates: { ...this.evicted.aggregates },
      },
    };
  }

  /**
   * One pass: retention, then eviction under pressure. `disk-full` (a write just failed with
   * STORE_FULL) frees room even when the measures show none is missing. Never throws: a failing
   * check is logged and the next one tries again. Returns the data-loss events it recorded.
   */
  check(trigger: BudgetTrigger = 'timer'): DataLossEvent[] {
    const losses: DataLossEvent[] = [];
    try {
      this.retention();
      this.relieve(trigger, losses);
    } catch (err) {
      this.deps.log.error({ err, trigger }, 'store budget check failed');
    }
    return losses;
  }

  /** Records readings dropped from memory before they could be stored (bufferedAppender.ts). */
  recordDropped(losses: readonly DataLossEvent[]): void {
    this.eviction.recordDropped(losses);
  }

  private schedule(ms: number): void {
    this.timer = this.deps.clock.setTimeout(() => {
      this.check('timer');
      if (this.timer) this.schedule(this.deps.storage.checkInterval);
    }, ms);
  }

  private retention(): void {
    const { clock, storage, uplinks } = this.deps;
    const bounds = this.bounds.bounds(uplinks);
    const now = clock.now();
    this.rounds('readings', 'retention', RETENTION_ROWS_PER_CHECK, () =>
      this.eviction.readingsBefore(now - storage.retention.readings, bounds.readings, CHUNK_ROWS),
    );
    this.rounds('aggregates', 'retention', RETENTION_ROWS_PER_CHECK, () =>
      this.eviction.aggregatesBefore(now - storage.retention.aggregates, bounds.aggregates, CHUNK_ROWS),
    );
    // A data logger's own records (HJ 212 input) are local only: the aggregates' retention bounds them.
    for (let total = 0, n = CHUNK_ROWS; n === CHUNK_ROWS && total < RETENTION_ROWS_PER_CHECK; total += n) {
      n = this.eviction.loggerAggregatesBefore(now - storage.retention.aggregates, CHUNK_ROWS);
    }
  }

  private relieve(trigger: BudgetTrigger, losses: DataLossEvent[]): void {
    const diskFull = trigger === 'disk-full';
    let start = this.measure();
    if (this.deficit(start, diskFull) > 0 && start.walBytes > 0) {
      // A WAL already checkpointed may be all the excess: truncating it frees room without evicting.
      this.checkpoint();
      start = this.measure();
    }
    const deficit = this.deficit(start, diskFull);
    if (deficit <= 0) {
      this.stuck = false;
      return;
    }
    // Progress is judged on the data pages alone: the WAL grows with the deletes themselves and
    // shrinks only when a checkpoint may truncate it, which a reader elsewhere can prevent.
    const target = start.dataBytes - deficit;
    const enough = () => this.meter.measure().dataBytes <= target;
    const bounds = this.bounds.bounds(this.deps.uplinks);
    const freed = { readings: 0, aggregates: 0 };
    const confirmed = (table: Table, upTo: number) =>
      this.untilEnough(enough, () => {
        const r =
          table === 'readings'
            ? this.eviction.readings(upTo, CHUNK_ROWS)
            : this.eviction.aggregates(upTo, CHUNK_ROWS);
        this.count(table, 'confirmed', r.count);
        freed[table] += r.count;
        return r.count;
      });
    let state = confirmed('readings', bounds.readings);
    if (state === 'exhausted') state = confirmed('aggregates', bounds.aggregates);
    // Unconfirmed data only once every confirmed row is gone, and only at the hard cap.
    if (state === 'exhausted') {
      this.checkpoint();
      const now = this.measure();
      const reason = this.lossReason(now, trigger);
      if (reason !== null) {
        const lossTarget = now.dataBytes - this.lossDeficit(now, diskFull);
        const until = (table: Table) => ({
          table,
          reason,
          chunk: LOSS_CHUNK_ROWS,
          enough: () => this.meter.measure().dataBytes <= lossTarget,
        });
        for (const table of ['readings', 'aggregates'] as const) {
          const r =
            table === 'readings'
              ? this.eviction.readingsUntil(until(table))
              : this.eviction.aggregatesUntil(until(table));
          this.count(table, 'unconfirmed', r.count);
          freed[table] += r.count;
          losses.push(...r.losses);
          if (this.meter.measure().dataBytes <= lossTarget) break;
        }
      }
    }
    this.finish(start, freed, losses);
  }

  /** Bytes to free now: down to the low-water mark, up to the floor target, or an emergency share. */
  private deficit(u: StoreUsage, diskFull: boolean): number {
    const { maxSize, minFreeDisk } = this.deps.storage;
    let deficit = 0;
    if (u.usedBytes > maxSize * HIGH_WATER) deficit = u.usedBytes - maxSize * LOW_WATER;
    if (u.availableBytes < minFreeDisk * FLOOR_SOFT) {
      deficit = Math.max(deficit, minFreeDisk * FLOOR_TARGET - u.availableBytes);
    }
    if (diskFull) deficit = Math.max(deficit, u.dataBytes * EMERGENCY_SHARE);
    return Math.min(deficit, u.dataBytes);
  }

  /** Unconfirmed data goes only at the hard cap: why, or null when it is not reached. */
  private lossReason(u: StoreUsage, trigger: BudgetTrigger): LossReason | null {
    const { maxSize } = this.deps.storage;
    // A write refused by max_page_count (the file at maxSize) is the cap, not the disk.
    if (u.usedBytes >= maxSize || (trigger === 'disk-full' && u.dataBytes + u.freePageBytes >= maxSize)) {
      return 'storage-cap';
    }
    if (trigger === 'disk-full') return 'disk-full';
    if (u.availableBytes < this.deps.storage.minFreeDisk) return 'disk-floor';
    return null;
  }

  /**
   * Bytes of unconfirmed data to give up. Over the cap: down to the low-water mark. Below the disk
   * floor, deleting rows gives the filesystem nothing back (the file keeps its size); it only
   * makes room inside the file so the file stops growing. So only enough goes to keep
   * FLOOR_HEADROOM of the file free for new data; a disk filled by someone else must not cost the
   * station all its unsent data at once. A failed write: EMERGENCY_SHARE of the data.
   */
  private lossDeficit(u: StoreUsage, diskFull: boolean): number {
    const { maxSize, minFreeDisk } = this.deps.storage;
    let deficit = 0;
    if (u.usedBytes >= maxSize) deficit = u.usedBytes - maxSize * LOW_WATER;
    if (u.availableBytes < minFreeDisk) {
      const headroom = FLOOR_HEADROOM * (u.dataBytes + u.freePageBytes);
      deficit = Math.max(deficit, headroom - u.freePageBytes);
    }
    if (diskFull) deficit = Math.max(deficit, u.dataBytes * EMERGENCY_SHARE);
    return Math.max(0, Math.min(deficit, u.dataBytes));
  }

  /** Runs `round` until `enough()`, until it deletes nothing (exhausted), or MAX_ROUNDS (limit). */
  private untilEnough(enough: () => boolean, round: () => number): 'enough' | 'exhausted' | 'limit' {
    for (let i = 0; i < MAX_ROUNDS; i++) {
      if (enough()) return 'enough';
      if (round() === 0) return enough() ? 'enough' : 'exhausted';
    }
    return enough() ? 'enough' : 'limit';
  }

  private rounds(table: Table, kind: 'retention', maxRows: number, round: () => EvictionResult): void {
    let total = 0;
    while (total < maxRows) {
      const n = round().count;
      if (n === 0) break;
      total += n;
    }
    this.count(table, kind, total);
  }

  private count(table: Table, kind: Exclude<EvictionKind, 'dropped'>, n: number): void {
    if (n === 0) return;
    this.evicted[table][kind] += n;
    this.metrics.storeEvicted({ table, kind, count: n });
  }

  private finish(start: StoreUsage, freed: Record<Table, number>, losses: readonly DataLossEvent[]): void {
    this.checkpoint();
    const after = this.measure();
    const lost = losses.reduce((n, e) => n + e.count, 0);
    const evicted = freed.readings + freed.aggregates;
    // Over budget with nothing it may evict (uplinks down, below the hard cap) lasts: say so once.
    const stuck = evicted === 0;
    const level = stuck && this.stuck ? 'debug' : 'warn';
    this.stuck = stuck;
    this.deps.log[level](
      {
        before: start.usedBytes,
        after: after.usedBytes,
        available: after.availableBytes,
        maxSize: this.deps.storage.maxSize,
        evictedReadings: freed.readings,
        evictedAggregates: freed.aggregates,
        lostUnconfirmed: lost,
        lossEvents: losses.length,
      },
      lost > 0
        ? 'store full: unconfirmed data evicted, recorded as data-loss events'
        : evicted > 0
          ? 'store budget: confirmed data evicted'
          : 'store over budget and nothing it may evict',
    );
  }

  private measure(): StoreUsage {
    this.last = this.meter.measure();
    return this.last;
  }

  /** Moves the WAL into the database and truncates it, so the WAL stops counting against the cap. */
  private checkpoint(): void {
    if (this.meter.inMemory) return;
    try {
      this.deps.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      this.deps.log.debug({ err }, 'store budget: checkpoint failed');
    }
  }
}
