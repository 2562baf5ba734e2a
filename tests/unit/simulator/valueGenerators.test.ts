import { describe, expect, it } from 'vitest';
import { decodeMeasurementTime } from '../../../drivers/modbus/instrumentState.js';
import type { GeneratorSpec } from '../../../scripts/simulator/simulatorConfig.js';
import { createValueSource, uniformAt } from '../../../scripts/simulator/valueGenerators.js';

const opts = { seed: 42, key: '7/cod', tickMs: 1000 };

function series(spec: GeneratorSpec, ticks: number, o = opts, state = 0): number[] {
  const src = createValueSource(spec, o);
  return Array.from({ length: ticks }, (_, t) => src.at(t, state));
}

describe('simulator value generators', () => {
  it('gives uniform numbers in [0, 1) that depend on seed, salt and tick', () => {
    const xs = Array.from({ length: 2000 }, (_, t) => uniformAt(1, 99, t));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(uniformAt(1, 99, 5)).toBe(uniformAt(1, 99, 5));
    expect(uniformAt(2, 99, 5)).not.toBe(uniformAt(1, 99, 5));
    expect(uniformAt(1, 98, 5)).not.toBe(uniformAt(1, 99, 5));
  });

  it('sine stays within mean ± (amplitude + noise) and starts at the mean', () => {
    const spec: GeneratorSpec = { kind: 'sine', mean: 22.5, amplitude: 6, period: 3_600_000, noise: 0.5 };
    const xs = series(spec, 7200);
    expect(Math.abs(xs[0]! - 22.5)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(16);
    expect(Math.max(...xs)).toBeLessThanOrEqual(29);
    // It really swings: a quarter period in, the value is near the crest.
    expect(xs[900]!).toBeGreaterThan(28);
  });

  it('is deterministic for a seed and independent of the read order', () => {
    const spec: GeneratorSpec = { kind: 'randomWalk', start: 450, step: 2, min: 200, max: 800, noise: 1 };
    const forward = series(spec, 500);
    const src = createValueSource(spec, opts);
    // Jumping around in time (as a test clock may) gives the same values.
    expect(src.at(499, 0)).toBe(forward[499]);
    expect(src.at(10, 0)).toBe(forward[10]);
    expect(src.at(300, 0)).toBe(forward[300]);
    expect(series(spec, 500, { ...opts, seed: 43 })).not.toEqual(forward);
    expect(series(spec, 500, { ...opts, key: '1/conductivity' })).not.toEqual(forward);
  });

  it('keeps a random walk inside its bounds, noise included', () => {
    const spec: GeneratorSpec = { kind: 'randomWalk', start: 5.2, step: 0.5, min: 5, max: 50, noise: 0.4 };
    const xs = series(spec, 20_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...xs)).toBeLessThanOrEqual(50);
    expect(new Set(xs).size).toBeGreaterThan(1000); // it moves
  });

  it('counts up with time for totals', () => {
    const xs = series({ kind: 'counter', start: 100, ratePerSecond: 0.5 }, 11, { ...opts, tickMs: 2000 });
    expect(xs[0]).toBe(100);
    expect(xs[10]).toBe(110); // 10 ticks × 2 s × 0.5/s
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThanOrEqual(xs[i - 1]!);
  });

  it('constant with and without noise', () => {
    expect(series({ kind: 'constant', value: 3, noise: 0 }, 5)).toEqual([3, 3, 3, 3, 3]);
    const noisy = series({ kind: 'constant', value: 3, noise: 0.1 }, 500);
    expect(Math.min(...noisy)).toBeGreaterThanOrEqual(2.9);
    expect(Math.max(...noisy)).toBeLessThanOrEqual(3.1);
  });

  it('state and stateIs follow the unit state', () => {
    const state = createValueSource({ kind: 'state' }, opts);
    const fault = createValueSource({ kind: 'stateIs', value: 3 }, opts);
    expect(state.at(0, 2)).toBe(2);
    expect(fault.at(0, 2)).toBe(0);
    expect(fault.at(0, 3)).toBe(1);
  });

  it('bcdClock serves the start of the current cycle as BCD YYMM DDhh mmss on the analyzer clock', () => {
    const origin = Date.UTC(2026, 10, 30, 15, 47, 12); // 2026-11-30 23:47:12 at UTC+8
    const clock = (every: number, tick: number) =>
      (['YYMM', 'DDhh', 'mmss'] as const).map((field) =>
        createValueSource(
          { kind: 'bcdClock', field, every, utcOffset: '+08:00' },
          { ...opts, originMs: origin },
        ).at(tick, 0),
      );
    expect(clock(3_600_000, 0)).toEqual([0x2611, 0x3023, 0x0000]);
    // 13 minutes on, the next hourly cycle has begun, on a new day and month of the local clock.
    expect(clock(3_600_000, 13 * 60)).toEqual([0x2612, 0x0100, 0x0000]);
    expect(clock(1000, 5)).toEqual([0x2611, 0x3023, 0x4717]);
    // The agent's decoder reads it back as the cycle's start (a shared misreading cannot hide:
    // the two are written apart).
    const at = decodeMeasurementTime(
      { table: 'input', address: 40, format: 'bcd', utcOffset: '+08:00' },
      clock(3_600_000, 0),
    );
    expect(at).toBe(Date.UTC(2026, 10, 30, 15, 0, 0));
  });
});
