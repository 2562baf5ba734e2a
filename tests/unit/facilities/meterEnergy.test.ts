import { describe, expect, it } from 'vitest';
import type { AggregationChannel } from '../../../agent/aggregation/aggregator.js';
import { FakeClock } from '../../helpers/fakeClock.js';
import { AggregationHarness, COD, cst } from '../aggregation/aggregationHarness.js';

/**
 * Issue 17, period consumption: a meter's active-energy register (DL/T 645 00010000, XXXXXX.XX kWh,
 * so it wraps at 1 000 000) configured as `cumulative: { rollover: 1000000 }` gets its consumption
 * per period as `cou` from the aggregator that every channel already goes through.
 */
const ENERGY: AggregationChannel = {
  ...COD,
  device: 'meter1',
  channel: 'energy',
  code: null,
  unit: 'kWh',
  cumulative: { rollover: 1_000_000 },
};

describe('meter energy consumption per period (cou)', () => {
  it('sums the increase across the 999999.99 wrap, and counts from zero after a meter reset', async () => {
    const clock = new FakeClock({ wall: cst(8, 0) });
    const h = new AggregationHarness(clock, [ENERGY]);
    // Every 10 s. Minute 08:00: 999999.5 (first, no increase known), +0.25, +0.2 and then
    // wraps: 0.05 is 0.1 after 999999.95 (0.05 + 0.05), then +0.1 +0.1 => 0.75.
    // Minute 08:01: +0.1, then the meter is replaced (reads 0.3: its own count from 0, not a wrap of
    // 999 999.4 kWh), +0.1, +0.1, +0.1, +0.1 => 0.1 + 0.3 + 0.4 = 0.8.
    const counter = [999_999.5, 999_999.75, 999_999.95, 0.05, 0.15, 0.25, 0.35, 0.3, 0.4, 0.5, 0.6, 0.7];
    let i = 0;
    const poll = () => {
      if (i >= counter.length) return;
      h.poll({
        device: 'meter1',
        channel: 'energy',
        code: null,
        value: counter[i++]!,
        unit: 'kWh',
        flag: 'N',
      });
    };
    poll();
    await h.run(3_600_000 + 30_000, 10_000, poll);
    const minutes = h.records('minute', ENERGY);
    expect(minutes.slice(0, 2).map((m) => m.cou)).toEqual([0.75, 0.8]);
    expect(h.records('hour', ENERGY)[0]!.cou).toBe(1.55);
  });
});
