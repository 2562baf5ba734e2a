import { afterEach, describe, expect, it } from 'vitest';
import { codMinute } from '../../helpers/aggregateFixture.js';
import { type BudgetRig, budgetRig, contiguous, DAY, GB, mqtt, reading, T0 } from './storeBudgetFixture.js';

let rig: BudgetRig;
afterEach(() => rig.close());

/** `n` readings over two channels, one second apart, in batches as polls would commit them. */
function fill(n: number, startIndex = 0): void {
  for (let i = startIndex; i < startIndex + n; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(i + 100, startIndex + n); j++) batch.push(reading(j, j % 2 ? 'tn' : 'cod'));
    rig.readings.append(batch);
  }
}

function fillAggregates(n: number): void {
  for (let i = 0; i < n; i += 200) {
    rig.aggregates.upsert(Array.from({ length: Math.min(200, n - i) }, (_, k) => codMinute(i + k)));
  }
}

function aseqs(): number[] {
  return rig.db.prepare('SELECT aseq FROM aggregates ORDER BY aseq').pluck().all() as number[];
}

describe('StoreBudget: retention', () => {
  it('deletes confirmed readings and aggregates past retention, oldest first, and nothing else', () => {
    rig = budgetRig();
    fill(1000);
    fillAggregates(100);
    // Readings 0..499 are older than 10 days at check time, 500..999 newer.
    rig.clock.setWall(T0 + 500_000 + 10 * DAY);
    // No uplink: nothing waits for the data, everything counts as confirmed.
    rig.budget({ retention: { readings: 10 * DAY, aggregates: 10 * DAY + 500_000 - 50 * 60_000 } }).check();
    expect(rig.seqs()[0]).toBe(501);
    expect(contiguous(rig.seqs())).toBe(true);
    expect(rig.readings.countAfter(0)).toBe(500);
    // Minute i ends at T0 + (i+1) min and the cutoff is T0 + 50 min: minutes 0..48 (aseq 1..49) are gone.
    expect(aseqs()[0]).toBe(50);
    expect(rig.losses()).toEqual([]);
  });

  it('never deletes past retention what an uplink has not confirmed', () => {
    rig = budgetRig();
    fill(1000);
    fillAggregates(100);
    rig.cursors.confirm('center', 300);
    rig.cursors.confirm('center#aggregates', 20);
    rig.clock.setWall(T0 + 400 * DAY);
    // A removed uplink's cursor (still in uplink_cursors) does not hold data back.
    rig.cursors.confirm('old-uplink', 0);
    rig.budget({ retention: { readings: 90 * DAY, aggregates: 100 * DAY } }, [mqtt('center')]).check();
    expect(rig.seqs()[0]).toBe(301);
    expect(aseqs()[0]).toBe(21);
    expect(rig.losses()).toEqual([]);
  });
});

describe('StoreBudget: eviction order under pressure', () => {
  it('between the high-water mark and the cap, evicts only confirmed readings, down to the low-water mark', () => {
    rig = budgetRig();
    fill(20_000);
    fillAggregates(500);
    rig.cursors.confirm('center', 15_000);
    rig.cursors.confirm('center#aggregates', 500);
    const used = rig.dataBytes();
    const maxSize = Math.ceil(used / 0.95);
    rig.budget({ maxSize }, [mqtt('center')]).check();
    const seqs = rig.seqs();
    expect(seqs[0]).toBeGreaterThan(1);
    expect(seqs[0]).toBeLessThanOrEqual(15_001);
    expect(contiguous(seqs)).toBe(true);
    expect(seqs.at(-1)).toBe(20_000);
    expect(rig.dataBytes()).toBeLessThanOrEqual(maxSize * 0.8);
    // Confirmed readings were enough: the aggregates were not touched, nothing was lost.
    expect(aseqs()).toHaveLength(500);
    expect(rig.losses()).toEqual([]);
  });

  it('below the cap, takes confirmed aggregates after confirmed readings but never unconfirmed data', () => {
    rig = budgetRig();
    fill(10_000);
    fillAggregates(3000);
    rig.cursors.confirm('center', 100);
    rig.cursors.confirm('center#aggregates', 2000);
    const maxSize = Math.ceil(rig.dataBytes() / 0.95);
    rig.budget({ maxSize }, [mqtt('center')]).check();
    expect(rig.seqs()[0]).toBe(101);
    const left = aseqs();
    expect(left[0]).toBeGreaterThan(1);
    expect(left[0]).toBeLessThanOrEqual(2001);
    expect(left.at(-1)).toBe(3000);
    expect(rig.losses()).toEqual([]);
  });

  it('at the cap, evicts unconfirmed readings oldest first and records exactly what was lost', () => {
    rig = budgetRig();
    fill(20_000);
    fillAggregates(300);
    rig.cursors.confirm('center', 1000);
    rig.cursors.confirm('center#aggregates', 100);
    const before = rig.readAll();
    const maxSize = Math.floor(rig.dataBytes() * 0.9);
    rig.budget({ maxSize }, [mqtt('center')]).check();

    const seqs = rig.seqs();
    expect(contiguous(seqs)).toBe(true);
    expect(seqs.at(-1)).toBe(20_000);
    expect(seqs[0]).toBeGreaterThan(1001);
    expect(rig.dataBytes()).toBeLessThanOrEqual(maxSize * 0.8);
    // Confirmed aggregates went before any unconfirmed reading; unconfirmed aggregates stay.
    expect(aseqs()).toEqual(Array.from({ length: 200 }, (_, i) => 101 + i));

    const losses = rig.losses();
    expect(losses.every((e) => e.table === 'readings' && e.reason === 'storage-cap')).toBe(true);
    // One event per channel, and together they are exactly the unconfirmed seqs that are gone.
    expect(losses.map((e) => e.channel).sort()).toEqual(['cod', 'tn']);
    const lost = before.filter((r) => r.seq > 1000 && r.seq < seqs[0]!);
    expect(losses.reduce((n, e) => n + e.count, 0)).toBe(lost.length);
    for (const e of losses) {
      const mine = lost.filter((r) => r.channel === e.channel);
      expect(e).toMatchObject({
        kind: 'data-loss',
        device: 'nutrient',
        code: mine[0]!.code,
        count: mine.length,
        from: mine[0]!.ts,
        to: mine.at(-1)!.ts,
        seqFrom: mine[0]!.seq,
        seqTo: mine.at(-1)!.seq,
      });
    }
  });

  it('evicts unconfirmed aggregates last, once no reading is left', () => {
    rig = budgetRig();
    fill(200);
    fillAggregates(4000);
    const maxSize = Math.floor(rig.dataBytes() * 0.9);
    rig.budget({ maxSize }, [mqtt('center')]).check();
    expect(rig.seqs()).toEqual([]);
    const left = aseqs();
    expect(left.at(-1)).toBe(4000);
    const losses = rig.losses();
    const aggregateLoss = losses.filter((e) => e.table === 'aggregates');
    expect(aggregateLoss).toHaveLength(1);
    expect(aggregateLoss[0]).toMatchObject({
      channel: 'cod',
      period: 'minute',
      count: 4000 - left.length,
      seqFrom: 1,
      seqTo: left[0]! - 1,
      from: codMinute(0).start,
      to: codMinute(left[0]! - 2).end,
    });
    expect(losses.filter((e) => e.table === 'readings').reduce((n, e) => n + e.count, 0)).toBe(200);
  });

  it('keeps each channel qc and state for the readings that remain', () => {
    rig = budgetRig();
    const qcA = { gross: 1, range: 1, spike: 1, roc: 1, flat: 1 } as const;
    const qcB = { gross: 1, range: 3, spike: 1, roc: 1, flat: 1 } as const;
    // The change points: cod changes at 0 and 10, tn only at 1; everything after keeps its pair.
    for (let i = 0; i < 4000; i += 50) {
      rig.readings.append(
        Array.from({ length: 50 }, (_, k) => {
          const j = i + k;
          const cod = j % 2 === 0;
          return reading(j, cod ? 'cod' : 'tn', {
            qc: cod && j >= 10 ? qcB : qcA,
            state: cod ? (j >= 10 ? 2 : 0) : 1,
          });
        }),
      );
    }
    const before = rig.readAll();
    rig.cursors.confirm('center', 3000);
    rig.budget({ maxSize: Math.ceil(rig.dataBytes() / 0.95) }, [mqtt('center')]).check();
    const after = rig.readAll();
    expect(after.length).toBeGreaterThan(0);
    expect(after.length).toBeLessThan(before.length);
    expect(after).toEqual(before.slice(before.length - after.length));
    // Only one change row per channel at or below the deleted prefix is left.
    const old = rig.db
      .prepare('SELECT count(*) FROM qc_changes WHERE seq < ?')
      .pluck()
      .get(after[0]!.seq) as number;
    expect(old).toBeLessThanOrEqual(2);
  });
});

describe('StoreBudget: the free-disk floor', () => {
  it('below the floor keeps a share of the file free by evicting unconfirmed data, and does not erode it further', () => {
    rig = budgetRig();
    fill(10_000);
    const minFreeDisk = 64 * 1024 * 1024;
    // Enough free disk: nothing happens, even with nothing confirmed.
    rig.disk.free = 2 * minFreeDisk;
    const budget = rig.budget({ minFreeDisk }, [mqtt('center')]);
    budget.check();
    expect(rig.seqs()).toHaveLength(10_000);
    // The disk fills up (someone else's logs): the floor is broken, no data is confirmed.
    rig.disk.free = minFreeDisk - 100_000;
    budget.check();
    const seqs = rig.seqs();
    expect(seqs.length).toBeLessThan(10_000);
    expect(contiguous(seqs)).toBe(true);
    expect(seqs.at(-1)).toBe(10_000);
    const losses = rig.losses();
    expect(losses.every((e) => e.reason === 'disk-floor')).toBe(true);
    expect(losses.reduce((n, e) => n + e.count, 0)).toBe(10_000 - seqs.length);
    // The freed pages are room for new data: available = free disk + free pages.
    expect(budget.stats().evicted.readings.unconfirmed).toBe(10_000 - seqs.length);
    // Deleting rows gives the disk nothing back: a second check with the floor still broken and
    // no new data takes nothing more, so someone else's full disk cannot wipe the station's data.
    budget.check();
    expect(rig.seqs()).toEqual(seqs);
    expect(rig.losses()).toEqual(losses);
  });

  it('under the soft floor evicts confirmed data only', () => {
    rig = budgetRig();
    fill(10_000);
    rig.cursors.confirm('center', 5000);
    const minFreeDisk = 64 * 1024 * 1024;
    rig.disk.free = minFreeDisk + 1000; // above the floor, below floor x 1.1
    rig.budget({ minFreeDisk }, [mqtt('center')]).check();
    const seqs = rig.seqs();
    expect(seqs[0]).toBeGreaterThan(1);
    expect(seqs[0]).toBeLessThanOrEqual(5001);
    expect(rig.losses()).toEqual([]);
  });
});

describe('StoreBudget: timer', () => {
  it('checks at start and every checkInterval until stopped', async () => {
    rig = budgetRig();
    fill(100);
    rig.clock.setWall(T0 + 100 * DAY);
    const budget = rig.budget({ retention: { readings: DAY, aggregates: DAY }, checkInterval: 60_000 });
    budget.start();
    await rig.clock.advance(0);
    expect(rig.seqs()).toEqual([]);
    fill(10, 100);
    await rig.clock.advance(60_000);
    expect(rig.seqs()).toEqual([]);
    budget.stop();
    fill(10, 200);
    await rig.clock.advance(120_000);
    expect(rig.seqs()).toHaveLength(10);
    expect(budget.stats().evicted.readings.retention).toBe(110);
  });
});

describe('StoreBudget: sizes', () => {
  it('keeps the defaults of a station PC', () => {
    rig = budgetRig();
    fill(10);
    rig.clock.setWall(T0 + DAY);
    rig.budget({ maxSize: 2 * GB, minFreeDisk: 256 * 1024 * 1024 }).check();
    expect(rig.seqs()).toHaveLength(10);
  });
});
