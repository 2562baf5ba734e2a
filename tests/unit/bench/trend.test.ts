import { describe, expect, it } from 'vitest';
import { isFlat, linearTrend, tQuantile975 } from '../../../scripts/bench/trend.js';

describe('linearTrend (the soak workload’s slope and its 95 % interval)', () => {
  it('recovers an exact line with a zero-width interval', () => {
    const xs = [0, 1, 2, 3, 4, 5];
    const t = linearTrend(
      xs,
      xs.map((x) => 10 + 2.5 * x),
    );
    expect(t.slope).toBeCloseTo(2.5, 12);
    expect(t.high - t.low).toBeCloseTo(0, 9);
    expect(isFlat(t, 0.1)).toBe(false);
  });

  it('matches the textbook interval for independent residuals', () => {
    // y = x plus alternating ±1 (negative lag-1 autocorrelation is clamped to 0: no widening).
    const xs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const ys = xs.map((x, i) => x + (i % 2 === 0 ? 1 : -1));
    const t = linearTrend(xs, ys);
    // By hand: Sxx = 82.5, the ±1 pattern adds Sxy = −5, so slope = 1 − 5/82.5; line through the means.
    const slope = 1 - 5 / 82.5;
    const sse = ys.reduce((s, y, i) => s + (y - (4.5 + slope * (xs[i]! - 4.5))) ** 2, 0);
    expect(t.slope).toBeCloseTo(slope, 12);
    expect(t.nEffective).toBe(10);
    const se = Math.sqrt(sse / 8 / 82.5);
    expect((t.high - t.low) / 2).toBeCloseTo(2.306 * se, 2);
  });

  it('widens the interval when the residuals wander (autocorrelated), so a wander is not a trend', () => {
    const xs = Array.from({ length: 40 }, (_, i) => i);
    // A flat series with a slow bump: residuals strongly positively correlated.
    const ys = xs.map((x) => Math.sin((x / 40) * 2 * Math.PI));
    const t = linearTrend(xs, ys);
    expect(t.nEffective).toBeLessThan(10);
    expect(t.low).toBeLessThan(0);
    expect(t.high).toBeGreaterThan(0);
    expect(isFlat(t, 0)).toBe(true);
  });

  it('calls a measurable slope inside the bound flat, and one outside it not', () => {
    const xs = [0, 1, 2, 3, 4];
    const t = linearTrend(
      xs,
      xs.map((x) => 0.05 * x),
    );
    expect(isFlat(t, 0.1)).toBe(true);
    expect(isFlat(t, 0.01)).toBe(false);
  });

  it('refuses fewer than 3 samples', () => {
    expect(() => linearTrend([0, 1], [0, 1])).toThrow(/at least 3/);
  });
});

describe('tQuantile975', () => {
  it('agrees with the t table', () => {
    const table: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [3, 3.182],
      [5, 2.571],
      [10, 2.228],
      [30, 2.042],
      [120, 1.98],
    ];
    for (const [df, t] of table) expect(tQuantile975(df)).toBeCloseTo(t, 2);
  });
});
