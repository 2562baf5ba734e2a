import { describe, expect, it } from 'vitest';
import { aggregationChannels } from '../../../agent/aggregation/aggregator.js';
import { FakeClock } from '../../helpers/fakeClock.js';
import { AggregationHarness, COD, cod, cst, RULES } from './aggregationHarness.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('Aggregator', () => {
  it('closes a minute closeDelay after its end, with min/avg/max and counts', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock);
    const values = [25, 26, 25, 25.5, 25.2, 25.7];
    let i = 0;
    h.poll(cod(values[i++]!));
    await h.run(50_000, 10_000, () => h.poll(cod(values[i++]!)));
    expect(h.records('minute')).toEqual([]);
    await h.run(39_000, 1000); // 16:01:29
    expect(h.records('minute')).toEqual([]);
    await h.run(1000, 1000); // 16:01:30 = end + closeDelay
    const [m] = h.records('minute');
    expect(m).toMatchObject({
      start: cst(16, 0),
      end: cst(16, 1),
      min: 25,
      max: 26,
      count: 6,
      valid: 6,
      expected: 6,
      cou: null,
      flag: 'N',
      ok: true,
    });
    expect(m!.avg).toBeCloseTo(25.4, 12);
    expect(iso(m!.start)).toBe('2026-11-28T08:00:00.000Z'); // the period's key is its start, in UTC
  });

  it('an hour with no data at all still yields minute and hour records (count 0, flag H)', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock);
    await h.run(3_600_000 + 30_000, 60_000);
    const minutes = h.records('minute');
    expect(minutes).toHaveLength(60);
    expect(minutes.every((m) => m.count === 0 && m.expected === 6 && m.flag === 'H' && m.avg === null)).toBe(
      true,
    );
    expect(h.records('hour')).toEqual([
      expect.objectContaining({ start: cst(16, 0), count: 0, valid: 0, expected: 60, flag: 'H', ok: false }),
    ]);
  });

  it('shows an outage of the agent as missing data: expected stays, count drops', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock);
    h.poll(cod(10));
    await h.run(20 * 60_000, 10_000, () => h.poll(cod(10))); // last poll at 16:20:00
    // the agent is down until 16:40: no readings, no ticks
    await clock.advance(20 * 60_000);
    h.boot();
    await h.run(20 * 60_000 + 30_000, 10_000, () => h.poll(cod(10))); // polls from 16:40:10
    const hour = h.records('hour')[0]!;
    // minutes 16:00-16:20 and 16:40-16:59 hold data: 41 of 60, fewer than 45
    expect(hour).toMatchObject({ expected: 60, count: 41, valid: 41, flag: 'H', ok: false });
    const minutes = h.records('minute');
    const gap = minutes.filter((m) => m.count === 0);
    expect(gap.map((m) => m.start)).toEqual(Array.from({ length: 19 }, (_, k) => cst(16, 21 + k)));
    expect(gap.every((m) => m.expected === 6 && m.flag === 'H')).toBe(true);
    expect(minutes.find((m) => m.start === cst(16, 20))).toMatchObject({ count: 1, expected: 6, ok: true });
    expect(minutes.find((m) => m.start === cst(16, 40))).toMatchObject({ count: 5, expected: 6 });
  });

  it('leaves out readings stamped into a closed minute, and counts them', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock);
    await h.run(91_000, 1000); // 16:01:31: minute 16:00 closed empty
    const stored = h.readings.append([{ ...cod(99), ts: cst(16, 0, 30) }]);
    h.aggregator.add(stored);
    await h.run(120_000, 10_000);
    expect(h.records('minute')[0]).toMatchObject({ start: cst(16, 0), count: 0 });
    expect(h.committed.filter((r) => r.start === cst(16, 0) && r.period === 'minute')).toHaveLength(1);
    expect(h.aggregator.lateReadings()).toEqual({ 'nutrient/cod': 1 });
  });

  it('calibration for 20 minutes of an hour: every reading kept, the hour invalid and flagged C', async () => {
    const clock = new FakeClock({ wall: cst(2, 0) });
    const h = new AggregationHarness(clock);
    let k = 0;
    h.poll(cod(5, { flag: 'C' }));
    await h.run(3_600_000 + 30_000, 10_000, () => {
      k++;
      if (clock.now() < cst(3, 0)) h.poll(cod(5, { flag: k < 20 * 6 ? 'C' : 'N' }));
    });
    const minutes = h.records('minute');
    expect(minutes.slice(0, 20).every((m) => m.flag === 'C' && m.valid === 0 && m.count === 6)).toBe(true);
    expect(minutes.slice(20).every((m) => m.flag === 'N' && m.valid === 6)).toBe(true);
    expect(h.records('hour')[0]).toMatchObject({
      count: 60,
      valid: 40,
      expected: 60,
      flag: 'C',
      ok: false,
      avg: 5,
    });
  });

  it('cycle-based channels: repeats of a cycle are not samples; expected counts follow the cycle', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const nh3n = { ...COD, channel: 'nh3n', code: 'w21003', sampleEveryMs: 3_600_000 };
    const h = new AggregationHarness(clock, [nh3n]);
    const PASS = { gross: 1, range: 1, spike: 2, roc: 2, flat: 2 } as const;
    const r = (value: number, repeat: boolean) =>
      cod(value, { channel: 'nh3n', code: 'w21003', qc: repeat ? { ...PASS, repeat } : PASS });
    h.poll(r(0.5, false));
    await h.run(2 * 3_600_000 + 30_000, 10_000, () => {
      const t = clock.now() - cst(16, 0);
      if (t < 2 * 3_600_000) h.poll(r(t < 3_600_000 ? 0.5 : 0.7, t % 3_600_000 !== 0));
    });
    const hours = h.records('hour', nh3n);
    expect(hours.map((x) => [x.count, x.valid, x.expected, x.avg, x.flag])).toEqual([
      [1, 1, 1, 0.5, 'N'],
      [1, 1, 1, 0.7, 'N'],
    ]);
    const minutes = h.records('minute', nh3n);
    expect(minutes.filter((m) => m.count > 0).map((m) => m.start)).toEqual([cst(16, 0), cst(17, 0)]);
    expect(minutes.every((m) => m.expected === 0)).toBe(true);
  });

  it('cumulative channels: cou is the counter increase, across a wrap-around and into the hour', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const flow = { ...COD, channel: 'flow', code: 'w00000', cumulative: { rollover: 1000 } };
    const h = new AggregationHarness(clock, [flow]);
    const counter = [990, 994, 998, 2, 6, 10, 14, 18]; // wraps at 1000 after 998
    let i = 0;
    const poll = () => {
      if (i < counter.length) h.poll(cod(counter[i++]!, { channel: 'flow', code: 'w00000' }));
    };
    poll();
    await h.run(3_600_000 + 30_000, 10_000, poll);
    const minutes = h.records('minute', flow);
    // minute 16:00: 990 is the first value (no increase known), then 4+4+4+4+4 = 20; 16:01: 14, 18 -> 4+4
    expect(minutes.slice(0, 2).map((m) => m.cou)).toEqual([20, 8]);
    expect(minutes[2]!.cou).toBeNull();
    expect(h.records('hour', flow)[0]!.cou).toBe(28);
  });

  it('builds its channels from the config: interval or cycle, cumulative', () => {
    const channels = aggregationChannels({
      devices: [
        {
          id: 'nutrient',
          enabled: true,
          interval: 10_000,
          channels: [
            { id: 'cod', code: 'w01018', unit: 'mg/L', cycle: 3_600_000 },
            { id: 'flow', cumulative: { rollover: 1e8 } },
          ],
        },
        { id: 'off', enabled: false, interval: 1000, channels: [{ id: 'x' }] },
      ],
    } as never);
    expect(channels).toEqual([
      {
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        unit: 'mg/L',
        sampleEveryMs: 3_600_000,
        cumulative: false,
      },
      {
        device: 'nutrient',
        channel: 'flow',
        code: null,
        unit: null,
        sampleEveryMs: 10_000,
        cumulative: { rollover: 1e8 },
      },
    ]);
  });

  it('uses the station validity rules', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock, [COD], { ...RULES, hourMinValidMinutes: 30, flagShare: 1 });
    h.poll(cod(1));
    await h.run(3_600_000 + 30_000, 10_000, () => {
      const t = clock.now() - cst(16, 0);
      if (t < 40 * 60_000) h.poll(cod(1, { flag: t === 60_000 ? 'D' : 'N' }));
    });
    // 40 minutes with data, 39 valid (one D sample makes minute 16:01 D under flagShare 1)
    expect(h.records('hour')[0]).toMatchObject({ count: 40, valid: 40, flag: 'D', ok: true });
    expect(h.records('minute')[1]).toMatchObject({ flag: 'D', valid: 5 });
  });

  it('start() ticks on the injected clock; stop() leaves no timer behind', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock);
    const agg = h.create({ tickMs: 1000 });
    agg.start();
    agg.add(h.readings.append([{ ...cod(7), ts: clock.now() }]));
    await clock.advance(90_000);
    expect(h.records('minute')[0]).toMatchObject({ count: 1, avg: 7 });
    agg.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('on its first start aggregates the readings already stored, from the first one on', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock);
    // readings committed before aggregation ever ran (an upgrade): 16:00-16:04:50
    const stored = [];
    for (let t = 0; t < 5 * 60_000; t += 10_000) stored.push({ ...cod(1), ts: cst(16, 0) + t });
    h.readings.append(stored);
    await clock.advance(5 * 60_000);
    h.boot();
    await h.run(60_000, 10_000);
    expect(h.records('minute').map((m) => [m.start, m.count])).toEqual([
      [cst(16, 0), 6],
      [cst(16, 1), 6],
      [cst(16, 2), 6],
      [cst(16, 3), 6],
      [cst(16, 4), 6],
    ]);
  });

  it('after an outage longer than the catch-up limit produces only the recent periods', async () => {
    const clock = new FakeClock({ wall: cst(16, 0) });
    const h = new AggregationHarness(clock);
    h.poll(cod(1));
    await h.run(120_000, 10_000);
    await clock.advance(5 * 3_600_000); // down for five hours
    h.boot({ maxCatchUpMs: 3_600_000 });
    await h.run(60_000, 10_000);
    const minutes = h.records('minute');
    // 16:00 closed before the outage; then from 20:02 on (one hour before the restart at 21:02)
    expect(minutes.slice(0, 3).map((m) => m.start)).toEqual([cst(16, 0), cst(20, 2), cst(20, 3)]);
    expect(minutes.length).toBeLessThan(70);
  });
});
