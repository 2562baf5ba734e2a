import type Database from 'better-sqlite3';
import {
  type AggregationChannel,
  Aggregator,
  type AggregatorDeps,
} from '../../../agent/aggregation/aggregator.js';
import type { AggregationConfig } from '../../../agent/config/qualitySchema.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading, StoredReading } from '../../../agent/core/reading.js';
import { AggregateStore, type StoredAggregate } from '../../../agent/store/aggregateStore.js';
import { EventStore } from '../../../agent/store/eventStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import type { FakeClock } from '../../helpers/fakeClock.js';

/** Defaults of the config schema (aggregation block). */
export const RULES: AggregationConfig = {
  minuteMinValidSamples: 1,
  hourMinValidMinutes: 45,
  dayMinValidHours: 20,
  flagShare: 0.75,
  validFlags: ['N'],
  closeDelay: 30_000,
};

export const COD: AggregationChannel = {
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  unit: 'mg/L',
  sampleEveryMs: 10_000,
  cumulative: false,
};

/** Shanghai local time of 2026-11-28 as epoch ms. */
export const cst = (h: number, m: number, s = 0, day = 28) => Date.UTC(2026, 10, day, h - 8, m, s);

/**
 * A station's store and aggregator over one SQLite database, on a fake clock. Time moves only
 * through the harness; ticks are called explicitly (no timers), as the aggregator's timer would.
 */
export class AggregationHarness {
  readonly db: Database.Database;
  readonly readings: ReadingStore;
  readonly aggregates: AggregateStore;
  readonly events: EventStore;
  /** Every record the aggregator stored, in commit order (a replaced period appears twice). */
  readonly committed: StoredAggregate[] = [];
  aggregator!: Aggregator;

  constructor(
    readonly clock: FakeClock,
    readonly channels: AggregationChannel[] = [COD],
    readonly rules: AggregationConfig = RULES,
    db?: Database.Database,
  ) {
    this.db = db ?? openDatabase({ path: ':memory:', log: silentLogger() });
    this.readings = new ReadingStore({ db: this.db });
    this.aggregates = new AggregateStore({ db: this.db });
    this.events = new EventStore({ db: this.db });
    this.aggregates.onCommitted((rs) => this.committed.push(...rs));
    this.boot();
  }

  /** A new aggregator over the same store (a restart of the agent), restored. */
  boot(extra: Partial<AggregatorDeps> = {}): void {
    this.aggregator = this.create(extra);
    this.aggregator.restore();
  }

  create(extra: Partial<AggregatorDeps> = {}): Aggregator {
    return new Aggregator({
      channels: this.channels,
      rules: this.rules,
      timeZone: 'Asia/Shanghai',
      aggregates: this.aggregates,
      readings: this.readings,
      events: this.events,
      clock: this.clock,
      log: silentLogger(),
      ...extra,
    });
  }

  /** Commits readings stamped now (wall clock) and feeds them to the aggregator. */
  poll(...readings: Omit<NewReading, 'ts'>[]): StoredReading[] {
    const stored = this.readings.append(readings.map((r) => ({ ...r, ts: this.clock.now() })));
    this.aggregator.add(stored);
    return stored;
  }

  /** Moves time forward in steps of `stepMs`, ticking after each step. */
  async run(ms: number, stepMs = 10_000, each?: () => void): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      await this.clock.advance(Math.min(stepMs, ms - t));
      this.aggregator.tick();
      each?.();
    }
  }

  records(period: 'minute' | 'hour' | 'day', channel = this.channels[0]!): StoredAggregate[] {
    return this.aggregates.byRange(channel, period, 0, Number.MAX_SAFE_INTEGER);
  }
}

/** A reading of the cod channel. */
export function cod(value: number | null, over: Partial<NewReading> = {}): Omit<NewReading, 'ts'> {
  return {
    device: 'nutrient',
    channel: 'cod',
    code: 'w01018',
    unit: 'mg/L',
    value,
    flag: value === null ? 'B' : 'N',
    ...over,
  };
}
