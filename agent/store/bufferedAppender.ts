import type { Clock } from '../core/clock.js';
import { isAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { type MetricsSink, noMetrics } from '../core/metricsSink.js';
import type { NewReading, StoredReading } from '../core/reading.js';
import type { DataLossEvent } from './eviction.js';
import type { ReadingStore } from './readingStore.js';
import type { StoreBudget } from './storeBudget.js';

/**
 * What acquisition appends through, so that a full disk never costs a reading by itself: on
 * STORE_FULL the store budget evicts at once (emergency) and the append is tried once more; what
 * still does not fit waits here, in order, and is tried again on the next poll cycle. Only when this
 * queue overflows are its oldest readings dropped: counted, logged, metered, and recorded as
 * data-loss events (reason disk-full, no seq) as soon as the store can write again.
 */

/** About 20 MB of readings; at 20 channels per second, some 40 minutes of a full disk. */
const DEFAULT_MAX_QUEUED = 50_000;
/** Readings per append when emptying the queue: one transaction each. */
const FLUSH_BATCH = 5_000;
/** An emergency eviction at most this often: each frees a share of the store. */
const EMERGENCY_GAP_MS = 10_000;

export interface BufferedAppenderDeps {
  store: Pick<ReadingStore, 'append'>;
  budget: Pick<StoreBudget, 'check' | 'recordDropped'>;
  clock: Pick<Clock, 'monotonic'>;
  log: Logger;
  metrics?: MetricsSink;
  maxQueued?: number;
}

export interface BufferedAppenderStats {
  /** Readings waiting in memory for room in the store. */
  queued: number;
  /** Readings dropped from the queue since the start (each one recorded as data loss). */
  dropped: number;
}

export class BufferedAppender {
  private readonly deps: BufferedAppenderDeps;
  private readonly maxQueued: number;
  private readonly metrics: MetricsSink;
  private queue: NewReading[] = [];
  /** Dropped readings not yet recorded as data-loss events, per channel. */
  private readonly unrecorded = new Map<string, DataLossEvent>();
  private dropped = 0;
  private lastEmergencyAt = Number.NEGATIVE_INFINITY;

  constructor(deps: BufferedAppenderDeps) {
    this.deps = deps;
    this.maxQueued = Math.max(1, deps.maxQueued ?? DEFAULT_MAX_QUEUED);
    this.metrics = deps.metrics ?? noMetrics;
  }

  /**
   * Stores the readings after any still queued, and returns those committed now (in seq order).
   * A full store queues them instead of throwing; other store failures throw as before.
   */
  append(readings: readonly NewReading[]): StoredReading[] {
    if (this.queue.length === 0) {
      try {
        return this.appendOrEvict(readings);
      } catch (err) {
        if (!isAgentError(err, 'STORE_FULL')) throw err;
        this.enqueue(readings, err);
        return [];
      }
    }
    this.enqueue(readings);
    return this.flush();
  }

  /** Tries to store what is queued (called by append; a caller may also call it on a timer). */
  flush(): StoredReading[] {
    const stored: StoredReading[] = [];
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, FLUSH_BATCH);
      try {
        stored.push(...this.appendOrEvict(batch));
      } catch (err) {
        if (!isAgentError(err, 'STORE_FULL')) throw err;
        return stored; // still full: the next cycle tries again
      }
      this.queue = this.queue.slice(batch.length);
    }
    if (this.queue.length === 0 && stored.length > 0) {
      this.deps.log.info({ stored: stored.length }, 'store writable again: queued readings stored');
    }
    this.recordDropped();
    return stored;
  }

  stats(): BufferedAppenderStats {
    return { queued: this.queue.length, dropped: this.dropped };
  }

  /** One try; on STORE_FULL an emergency eviction (rate-limited) and one more try. */
  private appendOrEvict(readings: readonly NewReading[]): StoredReading[] {
    try {
      return this.deps.store.append(readings);
    } catch (err) {
      if (!isAgentError(err, 'STORE_FULL')) throw err;
      const now = this.deps.clock.monotonic();
      if (now - this.lastEmergencyAt < EMERGENCY_GAP_MS) throw err;
      this.lastEmergencyAt = now;
      this.deps.log.warn({ err, count: readings.length }, 'store full: evicting and retrying');
      this.deps.budget.check('disk-full');
      return this.deps.store.append(readings);
    }
  }

  private enqueue(readings: readonly NewReading[], err?: unknown): void {
    if (err !== undefined) {
      this.deps.log.error(
        { err, count: readings.length, queued: this.queue.length + readings.length },
        'store full: readings kept in memory until it can write',
      );
    }
    this.queue.push(...readings);
    const excess = this.queue.length - this.maxQueued;
    if (excess <= 0) return;
    const gone = this.queue.splice(0, excess);
    for (const r of gone) this.noteDropped(r);
    this.dropped += gone.length;
    this.metrics.storeEvicted({ table: 'readings', kind: 'dropped', count: gone.length });
    this.deps.log.error(
      { dropped: gone.length, droppedTotal: this.dropped, maxQueued: this.maxQueued },
      'store full and memory queue full: oldest readings dropped',
    );
  }

  private noteDropped(r: NewReading): void {
    const key = JSON.stringify([r.device, r.channel, r.code]);
    const e = this.unrecorded.get(key);
    if (e) {
      e.count++;
      e.from = Math.min(e.from, r.ts);
      e.to = Math.max(e.to, r.ts);
      return;
    }
    this.unrecorded.set(key, {
      kind: 'data-loss',
      table: 'readings',
      device: r.device,
      channel: r.channel,
      code: r.code,
      from: r.ts,
      to: r.ts,
      count: 1,
      seqFrom: null,
      seqTo: null,
      reason: 'disk-full',
    });
  }

  private recordDropped(): void {
    if (this.unrecorded.size === 0) return;
    try {
      this.deps.budget.recordDropped([...this.unrecorded.values()]);
      this.unrecorded.clear();
    } catch (err) {
      this.deps.log.error({ err }, 'could not record dropped readings yet; trying again next cycle');
    }
  }
}
