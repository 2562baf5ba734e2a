import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AggregateFlag, periodFlag, shareRuleFlag } from '../../../agent/aggregation/flagRule.js';
import {
  type AggregateRecord,
  type CountedSample,
  counterDelta,
  parentRecord,
  SampleAccumulator,
} from '../../../agent/aggregation/records.js';
import { DATA_FLAGS } from '../../../agent/core/reading.js';

const id = { device: 'nutrient', channel: 'cod', code: 'w01018', unit: 'mg/L' };
const minute = { start: 0, end: 60_000 };

function counts(o: Partial<Record<AggregateFlag, number>>): Map<AggregateFlag, number> {
  return new Map(Object.entries(o) as [AggregateFlag, number][]);
}

describe('flag rule', () => {
  it.each([
    [{ N: 6 }, 0.75, 'N'],
    [{ N: 5, C: 1 }, 0.75, 'N'], // 83 %
    [{ N: 3, D: 1 }, 0.75, 'N'], // exactly 75 %
    [{ N: 4, C: 2 }, 0.75, 'C'], // 67 %: the highest-priority flag among them
    [{ N: 2, B: 1, D: 1 }, 0.75, 'D'],
    [{ C: 3, M: 1 }, 0.75, 'C'],
    [{ N: 45, H: 15 }, 0.75, 'N'],
    [{ N: 44, H: 16 }, 0.75, 'H'],
    [{ N: 59, D: 1 }, 1, 'D'], // water rule: one abnormal value makes the period abnormal
    [{ N: 2, C: 2 }, 0.5, 'C'], // both reach 50 %: priority decides
    [{ T: 4, N: 1 }, 0.75, 'T'],
  ] as const)('%j with share %s -> %s', (c, share, expected) => {
    expect(shareRuleFlag(counts(c), share)).toBe(expected);
  });

  it('an invalid period never claims a value (N, T, S -> H); a reason such as C stays', () => {
    expect(periodFlag(counts({ N: 30 }), 0.75, false)).toBe('H');
    expect(periodFlag(counts({ T: 30 }), 0.75, false)).toBe('H');
    expect(periodFlag(counts({ N: 10, C: 20 }), 0.75, false)).toBe('C');
    expect(periodFlag(counts({ N: 30 }), 0.75, true)).toBe('N');
    expect(periodFlag(counts({}), 0.75, false)).toBe('H');
  });
});

describe('minute record from samples', () => {
  it('averages the valid samples, counts all, and takes the flag by the share rule', () => {
    const acc = new SampleAccumulator();
    const samples: CountedSample[] = [
      { value: 25, flag: 'N', valid: true, couDelta: null },
      { value: 26, flag: 'N', valid: true, couDelta: null },
      { value: 25.2, flag: 'N', valid: true, couDelta: null },
      { value: null, flag: 'B', valid: false, couDelta: null },
      { value: 30, flag: 'C', valid: false, couDelta: null },
    ];
    for (const s of samples) acc.add(s);
    const r = acc.record(id, minute, 6, { minValid: 1, flagShare: 0.75 });
    expect(r).toMatchObject({
      period: 'minute',
      min: 25,
      max: 26,
      count: 5,
      valid: 3,
      expected: 6,
      cou: null,
    });
    expect(r.avg).toBeCloseTo(25.4, 12);
    // N is 3 of 5 (60 %): the highest-priority flag present, C, outranks B and N
    expect(r.flag).toBe('C');
    expect(r.ok).toBe(true);
  });

  it('a minute without samples is a record too: count 0, flag H', () => {
    const r = new SampleAccumulator().record(id, minute, 6, { minValid: 1, flagShare: 0.75 });
    expect(r).toMatchObject({
      min: null,
      avg: null,
      max: null,
      count: 0,
      valid: 0,
      expected: 6,
      flag: 'H',
      ok: false,
    });
  });

  it('avg lies between min and max, and counts add up (property)', () => {
    const sample = fc.record({
      value: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null, freq: 6 }),
      flag: fc.constantFrom(...DATA_FLAGS),
      valid: fc.boolean(),
      couDelta: fc.option(fc.double({ min: 0, max: 1e3, noNaN: true }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 50 }), (samples) => {
        const acc = new SampleAccumulator();
        for (const s of samples) acc.add(s);
        const r = acc.record(id, minute, 6, { minValid: 1, flagShare: 0.75 });
        const valid = samples.filter((s) => s.valid && s.value !== null);
        expect(r.count).toBe(samples.length);
        expect(r.valid).toBe(valid.length);
        if (valid.length > 0) {
          expect(r.min!).toBeLessThanOrEqual(r.avg!);
          expect(r.avg!).toBeLessThanOrEqual(r.max!);
          expect(r.min).toBe(Math.min(...valid.map((s) => s.value!)));
          expect(r.max).toBe(Math.max(...valid.map((s) => s.value!)));
        } else expect(r.avg).toBeNull();
        const deltas = samples.filter((s) => s.couDelta !== null);
        if (deltas.length === 0) expect(r.cou).toBeNull();
        else
          expect(r.cou).toBeCloseTo(
            deltas.reduce((a, s) => a + s.couDelta!, 0),
            6,
          );
      }),
      { numRuns: 500 },
    );
  });
});

describe('no binary noise in records', () => {
  const rules = { minValid: 1, flagShare: 0.75 };

  it('a mean is held to 12 significant digits; counter increases add up as decimals', () => {
    const acc = new SampleAccumulator();
    for (const [value, couDelta] of [
      [1.1, 0.1],
      [2.2, 0.2],
      [3.3, 0.1],
    ] as const) {
      acc.add({ value, flag: 'N', valid: true, couDelta });
    }
    expect((1.1 + 2.2 + 3.3) / 3).toBe(2.1999999999999997);
    const rec = acc.record(id, minute, 3, rules);
    expect(rec).toMatchObject({ min: 1.1, avg: 2.2, max: 3.3, cou: 0.4 });
    expect(JSON.stringify(rec.avg)).toBe('2.2');

    const thirds = new SampleAccumulator();
    for (const value of [1, 1, 2]) thirds.add({ value, flag: 'N', valid: true, couDelta: null });
    expect(thirds.record(id, minute, 3, rules).avg).toBe(1.33333333333);
  });

  it('an hour of minute means likewise', () => {
    const hour = { kind: 'hour' as const, start: 0, end: 3_600_000 };
    const child = (avg: number, cou: number): AggregateRecord => ({
      ...id,
      period: 'minute',
      start: 0,
      end: 60_000,
      min: avg,
      avg,
      max: avg,
      cou,
      count: 1,
      valid: 1,
      expected: 1,
      flag: 'N',
      ok: true,
    });
    const rec = parentRecord(id, hour, [child(0.1, 0.1), child(0.2, 0.2), child(0.4, 0.3)], 3, rules);
    expect(rec).toMatchObject({ avg: 0.233333333333, cou: 0.6 });
  });
});

describe('hour record from minute records', () => {
  const hour = { kind: 'hour' as const, start: 0, end: 3_600_000 };
  const rules = { minValid: 45, flagShare: 0.75 };
  const child = (over: Partial<AggregateRecord>): AggregateRecord => ({
    ...id,
    period: 'minute',
    start: 0,
    end: 60_000,
    min: 9,
    avg: 10,
    max: 11,
    cou: null,
    count: 6,
    valid: 6,
    expected: 6,
    flag: 'N',
    ok: true,
    ...over,
  });
  const empty = child({ min: null, avg: null, max: null, count: 0, valid: 0, flag: 'H', ok: false });
  const calibrating = child({ min: null, avg: null, max: null, valid: 0, flag: 'C', ok: false });

  it('45 valid minutes make a valid hour', () => {
    const minutes = [...Array(45).fill(child({})), ...Array(10).fill(empty), ...Array(5).fill(calibrating)];
    expect(parentRecord(id, hour, minutes, 60, rules)).toMatchObject({
      period: 'hour',
      min: 9,
      avg: 10,
      max: 11,
      count: 50, // minutes holding data
      valid: 45,
      expected: 60,
      flag: 'N', // N is 45 of 50 (90 %)
      ok: true,
    });
  });

  it('44 valid minutes do not: flag H, values still reported', () => {
    const minutes = [...Array(44).fill(child({})), ...Array(16).fill(empty)];
    expect(parentRecord(id, hour, minutes, 60, rules)).toMatchObject({
      valid: 44,
      avg: 10,
      flag: 'H',
      ok: false,
    });
  });

  it('20 minutes of calibration: the hour is invalid and says C', () => {
    const minutes = [...Array(40).fill(child({})), ...Array(20).fill(calibrating)];
    expect(parentRecord(id, hour, minutes, 60, rules)).toMatchObject({
      count: 60,
      valid: 40,
      flag: 'C',
      ok: false,
    });
  });

  it('an hour without any data still yields a record', () => {
    expect(parentRecord(id, hour, [], 60, rules)).toMatchObject({
      count: 0,
      valid: 0,
      expected: 60,
      flag: 'H',
      avg: null,
    });
  });

  it('avg of the valid minutes lies within [min, max]; cou is the sum; counts add up (property)', () => {
    const rec = fc
      .record({
        lo: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        spread: fc.double({ min: 0, max: 100, noNaN: true }),
        t: fc.double({ min: 0, max: 1, noNaN: true }),
        count: fc.integer({ min: 0, max: 6 }),
        ok: fc.boolean(),
        cou: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: null }),
        flag: fc.constantFrom<AggregateFlag>('N', 'C', 'D', 'B', 'H'),
      })
      .map((r) => {
        const has = r.count > 0 && r.ok;
        return child({
          min: has ? r.lo : null,
          max: has ? r.lo + r.spread : null,
          avg: has ? r.lo + r.t * r.spread : null,
          count: r.count,
          valid: has ? r.count : 0,
          ok: has,
          cou: r.cou,
          flag: r.flag,
        });
      });
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 60 }), (minutes) => {
        const h = parentRecord(id, hour, minutes, 60, rules);
        expect(h.count).toBe(minutes.filter((m) => m.count > 0).length);
        expect(h.valid).toBe(minutes.filter((m) => m.ok).length);
        expect(h.valid).toBeLessThanOrEqual(h.count);
        if (h.valid > 0) {
          expect(h.min!).toBeLessThanOrEqual(h.avg!);
          expect(h.avg!).toBeLessThanOrEqual(h.max!);
        }
        const cous = minutes.filter((m) => m.cou !== null);
        if (cous.length === 0) expect(h.cou).toBeNull();
        else
          expect(h.cou).toBeCloseTo(
            cous.reduce((a, m) => a + m.cou!, 0),
            6,
          );
        expect(h.ok).toBe(h.valid >= 45);
        if (!h.ok) expect(['N', 'T', 'S']).not.toContain(h.flag);
      }),
      { numRuns: 300 },
    );
  });
});

describe('counterDelta', () => {
  it.each([
    [null, 5, undefined, null, 'no previous value'],
    [100, 150, undefined, 50, 'increase'],
    [100, 100, undefined, 0, 'unchanged'],
    [4294967290, 10, 4294967296, 16, 'uint32 wrap-around: 6 to the top, then 10'],
    [99999990, 5, 1e8, 15, '8-digit totalizer wrap'],
    [1000, 10, 4294967296, 10, 'far from the top: a reset, counted from 0'],
    [1000, 10, undefined, 10, 'no rollover known: a reset'],
    [50, -3, undefined, 0, 'a negative reading adds nothing'],
    [98765.4, 98765.45, undefined, 0.05, 'a decimal increase, not 0.04999999999999716'],
    [99999.9, 0.2, 100000, 0.3, 'a decimal wrap-around'],
  ] as [number | null, number, number | undefined, number | null, string][])(
    '%s -> %s (rollover %s) = %s: %s',
    (prev, cur, rollover, expected) => {
      expect(counterDelta(prev, cur, rollover)).toBe(expected);
    },
  );
});
