import { afterEach, describe, expect, it } from 'vitest';
import { AgentError, isAgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import { type EvictionKind, noMetrics } from '../../../agent/core/metricsSink.js';
import type { NewReading, StoredReading } from '../../../agent/core/reading.js';
import { BufferedAppender } from '../../../agent/store/bufferedAppender.js';
import type { DataLossEvent } from '../../../agent/store/eviction.js';
import { FakeClock } from '../../helpers/fakeClock.js';
import { type BudgetRig, budgetRig, contiguous, DAY, mqtt, reading, T0 } from './storeBudgetFixture.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

function rigWithData(n: number): BudgetRig {
  const rig = budgetRig();
  cleanups.push(() => rig.close());
  for (let i = 0; i < n; i += 100) {
    rig.readings.append(Array.from({ length: 100 }, (_, k) => reading(i + k, (i + k) % 2 ? 'tn' : 'cod')));
  }
  return rig;
}

/** SQLITE_FULL for real: the file may not grow past its current number of pages. */
function capFile(rig: BudgetRig): void {
  const pages = rig.db.pragma('page_count', { simple: true }) as number;
  const free = rig.db.pragma('freelist_count', { simple: true }) as number;
  expect(free).toBe(0);
  rig.db.pragma(`max_page_count = ${pages}`);
}

const batch = (from: number, n: number) => Array.from({ length: n }, (_, k) => reading(from + k, 'cod'));

describe('BufferedAppender on a real SQLite file', () => {
  it('on SQLITE_FULL evicts confirmed data and stores the readings on the retry, losing nothing', () => {
    const rig = rigWithData(20_000);
    rig.clock.setWall(T0 + DAY); // within retention: only the budget may delete
    const budget = rig.budget(); // no uplink: everything is confirmed
    capFile(rig); // after the budget, which sets max_page_count from maxSize
    const appender = new BufferedAppender({
      store: rig.readings,
      budget,
      clock: rig.clock,
      log: silentLogger(),
    });
    // Without the budget the batch does not fit.
    expect(() => rig.readings.append(batch(30_000, 2000))).toThrow(AgentError);
    const stored = appender.append(batch(30_000, 2000));
    expect(stored).toHaveLength(2000);
    expect(rig.losses()).toEqual([]);
    expect(budget.stats().evicted.readings.confirmed).toBeGreaterThan(0);
    expect(contiguous(rig.seqs())).toBe(true);
    expect(appender.stats()).toEqual({ queued: 0, dropped: 0 });
  });

  it('with nothing confirmed, evicts the oldest unsent readings as disk-full and records them exactly', () => {
    const rig = rigWithData(20_000);
    const budget = rig.budget({}, [mqtt('center')]);
    capFile(rig);
    const appender = new BufferedAppender({
      store: rig.readings,
      budget,
      clock: rig.clock,
      log: silentLogger(),
    });
    const stored = appender.append(batch(30_000, 2000));
    expect(stored).toHaveLength(2000);
    const seqs = rig.seqs();
    expect(contiguous(seqs)).toBe(true);
    const losses = rig.losses();
    expect(losses.every((e) => e.reason === 'disk-full' && e.table === 'readings')).toBe(true);
    // Produced = remaining + reported.
    expect(seqs.length + losses.reduce((n, e) => n + e.count, 0)).toBe(22_000);
    expect(Math.min(...losses.map((e) => e.seqFrom!))).toBe(1);
    expect(Math.max(...losses.map((e) => e.seqTo!))).toBe(seqs[0]! - 1);
  });
});

/** A store that is full until `full` is cleared; records what it committed. */
function fullStore() {
  const committed: NewReading[] = [];
  const state = { full: true, fail: null as Error | null };
  return {
    state,
    committed,
    append(readings: readonly NewReading[]): StoredReading[] {
      if (state.fail) throw state.fail;
      if (state.full) throw new AgentError('STORE_FULL', 'database or disk is full');
      committed.push(...readings);
      return readings.map((r, i) => ({ ...r, seq: committed.length - readings.length + i + 1 }));
    },
  };
}

function fakeBudget() {
  const checks: string[] = [];
  const recorded: DataLossEvent[][] = [];
  return {
    checks,
    recorded,
    check(trigger?: 'timer' | 'disk-full') {
      checks.push(trigger ?? 'timer');
      return [];
    },
    recordDropped(losses: readonly DataLossEvent[]) {
      recorded.push([...losses]);
    },
  };
}

describe('BufferedAppender while the store stays full', () => {
  it('keeps readings in memory, in order, and stores them first once there is room', async () => {
    const store = fullStore();
    const budget = fakeBudget();
    const clock = new FakeClock();
    const appender = new BufferedAppender({ store, budget, clock, log: silentLogger(), maxQueued: 100 });
    expect(appender.append(batch(0, 10))).toEqual([]);
    expect(budget.checks).toEqual(['disk-full']);
    expect(appender.append(batch(10, 10))).toEqual([]);
    // Emergency evictions are rate-limited: the second failure within 10 s did not evict again.
    expect(budget.checks).toEqual(['disk-full']);
    expect(appender.stats()).toEqual({ queued: 20, dropped: 0 });
    store.state.full = false;
    const stored = appender.append(batch(20, 5));
    expect(stored.map((r) => r.ts)).toEqual(batch(0, 25).map((r) => r.ts));
    expect(store.committed.map((r) => r.ts)).toEqual(batch(0, 25).map((r) => r.ts));
    expect(appender.stats()).toEqual({ queued: 0, dropped: 0 });
    expect(budget.recorded).toEqual([]);
    await clock.advance(0);
  });

  it('drops only the overflow, oldest first, and records it once as data loss when the store writes again', () => {
    const store = fullStore();
    const budget = fakeBudget();
    const evicted: { table: string; kind: EvictionKind; count: number }[] = [];
    const metrics = {
      ...noMetrics,
      storeEvicted: (p: { table: string; kind: EvictionKind; count: number }) => evicted.push(p),
    };
    const appender = new BufferedAppender({
      store,
      budget,
      clock: new FakeClock(),
      log: silentLogger(),
      metrics,
      maxQueued: 50,
    });
    const cod = batch(0, 40);
    const tn = Array.from({ length: 40 }, (_, k) => reading(k, 'tn'));
    appender.append(cod);
    appender.append(tn);
    expect(appender.stats()).toEqual({ queued: 50, dropped: 30 });
    expect(evicted).toEqual([{ table: 'readings', kind: 'dropped', count: 30 }]);
    // Still full: nothing recorded yet (it could not be written anyway).
    expect(budget.recorded).toEqual([]);
    store.state.full = false;
    appender.append([]);
    expect(store.committed).toEqual([...cod.slice(30), ...tn]);
    expect(budget.recorded).toHaveLength(1);
    expect(budget.recorded[0]).toEqual([
      {
        kind: 'data-loss',
        table: 'readings',
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        from: cod[0]!.ts,
        to: cod[29]!.ts,
        count: 30,
        seqFrom: null,
        seqTo: null,
        reason: 'disk-full',
      },
    ]);
    appender.append(batch(100, 1));
    expect(budget.recorded).toHaveLength(1);
  });

  it('passes other store failures on to the caller', () => {
    const store = fullStore();
    store.state.fail = new AgentError('STORE_FAILED', 'invalid reading');
    const appender = new BufferedAppender({
      store,
      budget: fakeBudget(),
      clock: new FakeClock(),
      log: silentLogger(),
    });
    let err: unknown;
    try {
      appender.append(batch(0, 1));
    } catch (e) {
      err = e;
    }
    expect(isAgentError(err, 'STORE_FAILED')).toBe(true);
    expect(appender.stats().queued).toBe(0);
  });
});
