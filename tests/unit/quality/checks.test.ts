import { describe, expect, it } from 'vitest';
import {
  aboveMeasuringRange,
  flatLineTest,
  grossRangeTest,
  measuringRangeTest,
  rateOfChangeTest,
  type Sample,
  spikeTest,
} from '../../../agent/quality/checks.js';

// Expectations are worked out by hand in the comments; the thresholds are exceeded strictly (>).

describe('grossRangeTest', () => {
  const cfg = { fail: [0, 100] as [number, number], suspect: [5, 80] as [number, number] };
  it.each([
    [50, 1, 'inside both spans'],
    [5, 1, 'on the suspect bound (inclusive)'],
    [4.9, 3, 'below suspect, inside fail'],
    [80.1, 3, 'above suspect, inside fail'],
    [100, 3, 'on the fail bound: inside fail, outside suspect'],
    [100.01, 4, 'above fail'],
    [-0.01, 4, 'below fail'],
  ])('%s -> %s (%s)', (value, expected) => {
    expect(grossRangeTest(value, cfg)).toBe(expected);
  });

  it('answers 2 when not configured, and works with one span only', () => {
    expect(grossRangeTest(1e9, undefined)).toBe(2);
    expect(grossRangeTest(1e9, {})).toBe(2);
    expect(grossRangeTest(101, { fail: [0, 100] })).toBe(4);
    expect(grossRangeTest(101, { suspect: [0, 100] })).toBe(3);
  });
});

describe('measuringRangeTest and T', () => {
  it.each([
    [10, 1, false],
    [200, 1, false],
    [200.5, 3, true],
    [-0.2, 3, false], // slightly negative near zero: suspect, but no T (T is over the upper limit only)
  ])('%s -> %s, above range %s', (value, code, above) => {
    expect(measuringRangeTest(value, [0, 200])).toBe(code);
    expect(aboveMeasuringRange(value, [0, 200])).toBe(above);
  });

  it('is 2 and never T without a range, and no T for a missing value', () => {
    expect(measuringRangeTest(1e9, undefined)).toBe(2);
    expect(aboveMeasuringRange(1e9, undefined)).toBe(false);
    expect(aboveMeasuringRange(null, [0, 1])).toBe(false);
  });
});

describe('spikeTest (one-sided: median of the previous three)', () => {
  const cfg = { suspect: 2, fail: 5 };
  it.each([
    // previous       value  reference(median)  |diff|  result
    [[10, 10, 10], 11, 1], //   10              1       pass
    [[10, 10, 10], 12, 1], //   10              2       pass (not above 2)
    [[10, 10, 10], 12.5, 3], // 10              2.5     suspect
    [[10, 10, 10], 15, 3], //   10              5       suspect (not above 5)
    [[10, 10, 10], 15.1, 4], // 10              5.1     fail
    [[10, 10, 10], 4, 4], //    10              6       fail (downwards too)
    [[10, 30, 10], 10, 1], //   10              0       the sample after an isolated spike passes
    [[10, 30, 31], 31, 1], //   30              1       third sample of a step: median has caught up
    [[10, 10, 30], 31, 4], //   10              21      second sample of a step: still flagged
    [[9, 10, 11, 50], 10, 1], // last three 10,11,50 -> 11, diff 1
  ])('previous %j, value %s -> %s', (previous, value, expected) => {
    expect(spikeTest(value, previous, cfg)).toBe(expected);
  });

  it('needs three previous samples and a configuration', () => {
    expect(spikeTest(100, [10, 10], cfg)).toBe(2);
    expect(spikeTest(100, [], cfg)).toBe(2);
    expect(spikeTest(100, [10, 10, 10], undefined)).toBe(2);
  });

  it('works with a fail threshold only', () => {
    expect(spikeTest(13, [10, 10, 10], { fail: 5 })).toBe(1);
    expect(spikeTest(16, [10, 10, 10], { fail: 5 })).toBe(4);
  });
});

describe('rateOfChangeTest (units per second)', () => {
  const cfg = { suspect: 0.1, fail: 0.5 };
  const prev: Sample = { ts: 0, value: 10 };
  it.each([
    // ts      value  rate = |Δ| / Δs
    [10_000, 10.5, 1], //   0.5/10 = 0.05
    [10_000, 11, 1], //     1/10 = 0.1 (not above)
    [10_000, 12, 3], //     2/10 = 0.2
    [10_000, 5, 3], //      5/10 = 0.5 (not above fail)
    [10_000, 16, 4], //     6/10 = 0.6
    [60_000, 16, 1], //     6/60 = 0.1: the same step over a minute passes
  ])('10 at 0 s -> %s at %s ms: %s', (ts, value, expected) => {
    expect(rateOfChangeTest({ ts, value }, prev, cfg)).toBe(expected);
  });

  it('is 2 without a previous sample, a configuration, or forward time', () => {
    expect(rateOfChangeTest({ ts: 10_000, value: 99 }, undefined, cfg)).toBe(2);
    expect(rateOfChangeTest({ ts: 10_000, value: 99 }, prev, undefined)).toBe(2);
    expect(rateOfChangeTest({ ts: 0, value: 99 }, prev, cfg)).toBe(2);
    expect(rateOfChangeTest({ ts: -5, value: 99 }, prev, cfg)).toBe(2);
  });
});

describe('flatLineTest', () => {
  const MIN = 60_000;
  const cfg = { suspect: 30 * MIN, fail: 120 * MIN, tolerance: 0.05 };
  /** Samples every `step` minutes from minute 0, with the given values; the last one is the sample under test. */
  function series(values: number[], step = 10): { sample: Sample; history: Sample[] } {
    const all = values.map((value, i) => ({ ts: i * step * MIN, value }));
    return { sample: all.at(-1)!, history: all.slice(0, -1) };
  }

  it.each([
    // values every 10 min                      flat for   result
    [[5, 5, 5, 5], 3, '30 min flat: suspect'], // 30 min
    [[5, 5, 5], 2, '20 min flat, nothing else known: not evaluated'],
    [[4, 5, 5, 5], 1, '20 min flat after a change: pass'],
    [[5, 5.04, 5.01, 5.05], 3, 'max − min = 0.05 is within the tolerance: flat 30 min, suspect'],
    [[5, 5.06, 5.06, 5.06], 1, 'range 0.06 over 30 min breaks; 20 min flat: pass'],
    [Array(13).fill(7), 4, '120 min flat: fail'],
    [Array(12).fill(7), 3, '110 min flat: suspect'],
  ])('%j -> %s (%s)', (values, expected) => {
    const { sample, history } = series(values);
    expect(flatLineTest(sample, history, cfg)).toBe(expected);
  });

  it('works without a fail threshold and is 2 when not configured', () => {
    const { sample, history } = series(Array(20).fill(1));
    expect(flatLineTest(sample, history, { suspect: 30 * MIN, tolerance: 0 })).toBe(3);
    expect(flatLineTest(sample, history, undefined)).toBe(2);
  });

  it('tolerance 0 means exactly equal values', () => {
    const { sample, history } = series([1, 1, 1, 1.0000001]);
    expect(flatLineTest(sample, history, { suspect: 30 * MIN, tolerance: 0 })).toBe(1);
  });
});
