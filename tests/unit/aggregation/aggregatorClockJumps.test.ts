import { describe, expect, it } from 'vitest';
import type { ClockJump } from '../../../agent/aggregation/clockJumpDetector.js';
import { ClockJumpDetector } from '../../../agent/aggregation/clockJumpDetector.js';
import type { StoredAggregate } from '../../../agent/store/aggregateStore.js';
import { FakeClock } from '../../helpers/fakeClock.js';
import { AggregationHarness, cod, cst } from './aggregationHarness.js';

const MIN = 60_000;

describe('ClockJumpDetector', () => {
  it('reports steps of the wall clock beyond the tolerance, both ways, and nothing else', async () => {
    const clock = new FakeClock({ wall: cst(8, 0) });
    const d = new ClockJumpDetector({ clock, toleranceMs: 2000 });
    await clock.advance(10_000);
    expect(d.check()).toBeNull();
    clock.setWall(clock.now() + 1500); // NTP-sized correction: not an event
    expect(d.check()).toBeNull();
    await clock.advance(1000);
    clock.setWall(clock.now() - 10 * MIN);
    const from = cst(8, 0) + 12_500; // 10 s + 1.5 s correction + 1 s
    expect(d.check()).toEqual({ kind: 'clock-jump', from, to: from - 10 * MIN, deltaMs: -10 * MIN });
    await clock.advance(5000);
    clock.setWall(clock.now() + 3_600_000);
    expect(d.check()).toMatchObject({ deltaMs: 3_600_000 });
    expect(d.check()).toBeNull();
  });
});

/**
 * 08:00-08:20:20 normal polls every 10 s; the clock is stepped back 10 min; polls go on; at 08:35:35
 * it is stepped forward 1 h; polls go on until the hours have closed.
 */
async function scenario(opts: { restartAfterBackStep?: number } = {}): Promise<AggregationHarness> {
  const clock = new FakeClock({ wall: cst(8, 0) });
  const h = new AggregationHarness(clock);
  const poll = () => h.poll(cod(10));
  poll();
  await h.run(20 * MIN + 20_000, 10_000, poll); // last poll 08:20:20
  await clock.advance(5000);
  clock.setWall(clock.now() - 10 * MIN); // 08:10:25
  await h.run(5000, 5000, poll); // 08:10:30: the step is noticed here
  if (opts.restartAfterBackStep !== undefined) {
    await h.run(opts.restartAfterBackStep, 10_000, poll);
    h.boot();
  }
  await h.run(cst(8, 35, 30) - clock.now(), 10_000, poll); // last poll 08:35:30
  await clock.advance(5000);
  clock.setWall(clock.now() + 3_600_000); // 09:35:35
  await h.run(5000, 5000, poll); // 09:35:40
  await h.run(cst(10, 1) - clock.now(), 10_000, () => {
    if (clock.now() < cst(10, 0)) poll();
  });
  return h;
}

function missing(r: StoredAggregate): number {
  return Math.max(0, r.expected - r.count);
}

describe('Aggregator and clock steps: back 10 minutes, then forward 1 hour', () => {
  it('records an event for each step', async () => {
    const h = await scenario();
    const jumps = h.events.since<ClockJump>('clock-jump', 0).map((e) => e.event);
    expect(jumps).toEqual([
      { kind: 'clock-jump', from: cst(8, 20, 30), to: cst(8, 10, 30), deltaMs: -10 * MIN },
      { kind: 'clock-jump', from: cst(8, 35, 40), to: cst(9, 35, 40), deltaMs: 3_600_000 },
    ]);
  });

  it('never stores a period twice: readings stamped into closed minutes are left out', async () => {
    const h = await scenario();
    const ids = h.committed.map((r) => `${r.period}/${r.start}`);
    expect(new Set(ids).size).toBe(ids.length);
    const minutes = h.records('minute');
    expect(minutes.map((m) => m.start)).toEqual(Array.from({ length: 120 }, (_, i) => cst(8, 0) + i * MIN));
    // 08:10 keeps its six readings from before the step; the 63 polls of 08:10:30-08:20:50 came late
    expect(minutes[10]).toMatchObject({ count: 6, expected: 6, flag: 'N' });
    expect(h.aggregator.lateReadings()).toEqual({ 'nutrient/cod': 63 });
  });

  it('invents no missing data: the time a step skipped expects no samples', async () => {
    const h = await scenario();
    const minutes = h.records('minute');
    expect(minutes.filter((m) => missing(m) > 0)).toEqual([]);
    const at = (hh: number, mm: number) => minutes.find((m) => m.start === cst(hh, mm))!;
    // closed early by the backward step at 08:20:30: 3 samples of 3 possible
    expect(at(8, 20)).toMatchObject({ count: 3, expected: 3, ok: true, flag: 'N' });
    // the forward step at 08:35:40 skipped 08:35:40-09:35:40
    expect(at(8, 35)).toMatchObject({ count: 4, expected: 4, flag: 'N' });
    expect(at(9, 0)).toMatchObject({ count: 0, expected: 0, flag: 'H' });
    expect(at(9, 35)).toMatchObject({ count: 2, expected: 2, flag: 'N' });
    const hours = h.records('hour');
    expect(hours.map((x) => [x.start, x.count, x.valid, x.expected, x.flag])).toEqual([
      // 36 minutes lived and all there: complete, yet short of 45 valid minutes
      [cst(8, 0), 36, 36, 36, 'H'],
      [cst(9, 0), 25, 25, 25, 'H'],
    ]);
  });

  it('a restart while readings still arrive late changes nothing', async () => {
    const once = await scenario();
    const restarted = await scenario({ restartAfterBackStep: 2 * MIN });
    const strip = (h: AggregationHarness) =>
      (['minute', 'hour'] as const).flatMap((p) => h.records(p).map(({ aseq: _, ...r }) => r));
    expect(strip(restarted)).toEqual(strip(once));
    const ids = restarted.committed.map((r) => `${r.period}/${r.start}`);
    expect(new Set(ids).size).toBe(ids.length);
    // the restarted agent saw a clock behind its last closed minute and said so
    const events = restarted.events.since<ClockJump & { atStart?: boolean }>('clock-jump', 0);
    expect(events.map((e) => e.event.atStart ?? false)).toEqual([false, true, false]);
  });
});
