import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChannelQcConfig } from '../../../agent/config/qualitySchema.js';
import type { QcResults } from '../../../agent/core/reading.js';
import { ChannelQc, type QcInput } from '../../../agent/quality/channelQc.js';

const S = 1000;
const MIN = 60 * S;

type Row = [ts: number, value: number | null, inService?: boolean];

/** Evaluates the rows in order; returns [spike, roc, flat] per row (gross/range are stateless). */
function run(qc: ChannelQc, rows: Row[]): string[] {
  return rows.map(([ts, value, inService = true]) => {
    const r = qc.evaluate({ ts, value, inService });
    return `${r.spike}${r.roc}${r.flat}`;
  });
}

describe('ChannelQc: gaps never make false spikes or flat lines', () => {
  const cfg: ChannelQcConfig = { spike: { suspect: 2, fail: 5 }, rateOfChange: { suspect: 0.5 } };

  it('starts over after an outage instead of flagging the jump across it', () => {
    const qc = new ChannelQc({ qc: cfg, intervalMs: 10 * S }); // max gap 25 s
    expect(
      run(qc, [
        [0, 10], //            no history: spike 2, roc 2
        [10 * S, 10], //       1 previous: spike 2; roc 0/10 -> 1
        [20 * S, 10], //       2 previous: spike 2
        [30 * S, 10], //       median(10,10,10)=10, |10-10|=0 -> 1
        [630 * S, 20], //      600 s later: a gap, new stretch -> 2 2 (not spike 4, not roc 3)
        [640 * S, 20], //      1 previous -> spike 2, roc 0 -> 1
        [650 * S, 20], //      2 previous -> spike 2
        [660 * S, 26], //      median 20, |6| > 5 -> 4; roc 6/10 = 0.6 > 0.5 -> 3
      ]),
    ).toEqual(['222', '212', '212', '112', '222', '212', '212', '432']);
  });

  it('one missed poll is not a gap: 20 s between samples of a 10 s device', () => {
    const qc = new ChannelQc({ qc: cfg, intervalMs: 10 * S });
    const out = run(qc, [
      [0, 10],
      [10 * S, 10],
      [20 * S, 10],
      [40 * S, 17], // median 10, diff 7 -> 4; roc 7/20 = 0.35 -> 1
    ]);
    expect(out.at(-1)).toBe('412');
  });

  it('a clock stepped back starts a new stretch', () => {
    const qc = new ChannelQc({ qc: cfg, intervalMs: 10 * S });
    const out = run(qc, [
      [100 * S, 10],
      [110 * S, 10],
      [120 * S, 10],
      [130 * S, 10],
      [70 * S, 30], // 60 s back: not compared with 10 -> 2 2
    ]);
    expect(out.at(-1)).toBe('222');
  });

  it('a missing value is 9 for every check and does not break the stretch by itself', () => {
    const qc = new ChannelQc({ qc: { ...cfg, grossRange: { fail: [0, 100] } }, intervalMs: 10 * S });
    run(qc, [
      [0, 10],
      [10 * S, 10],
      [20 * S, 10],
    ]);
    expect(qc.evaluate({ ts: 30 * S, value: null, inService: true })).toEqual({
      gross: 9,
      range: 9,
      spike: 9,
      roc: 9,
      flat: 9,
    });
    // 20 s after the last value: still the same stretch (max gap 25 s)
    expect(run(qc, [[40 * S, 10]])).toEqual(['112']);
  });

  it('readings out of service (calibration) reset the stretch: no false spike after a span check', () => {
    const qc = new ChannelQc({ qc: { ...cfg, grossRange: { fail: [0, 50] } }, intervalMs: 10 * S });
    run(qc, [
      [0, 10],
      [10 * S, 10],
      [20 * S, 10],
      [30 * S, 10],
    ]);
    // span gas at 80: gross range still judged (fail), the others not evaluated
    expect(qc.evaluate({ ts: 40 * S, value: 80, inService: false })).toMatchObject({
      gross: 4,
      spike: 2,
      roc: 2,
      flat: 2,
    });
    expect(run(qc, [[50 * S, 10]])).toEqual(['222']);
  });

  it('flat line: an outage between two constant stretches is not a flat line across it', () => {
    const flat = { flatLine: { suspect: 30 * MIN, fail: 120 * MIN, tolerance: 0 } };
    const qc = new ChannelQc({ qc: flat, intervalMs: MIN }); // max gap 2.5 min
    const before = run(
      qc,
      Array.from({ length: 21 }, (_, i): Row => [i * MIN, 5]),
    ).map((r) => r[2]);
    expect(before.at(-1)).toBe('2'); // 20 min flat, nothing else seen: cannot tell yet
    // 3 hours later the same value again: without the gap rule this would be "flat for 200 min" (4).
    const after = run(
      qc,
      Array.from({ length: 31 }, (_, i): Row => [200 * MIN + i * MIN, 5]),
    ).map((r) => r[2]);
    expect(after[0]).toBe('2');
    expect(after[29]).toBe('2'); // 29 min
    expect(after[30]).toBe('3'); // 30 min flat within this stretch
  });
});

describe('ChannelQc: cycle-based channels', () => {
  const cfg: ChannelQcConfig = {
    spike: { suspect: 1 },
    flatLine: { suspect: 2 * 3600 * S, tolerance: 0 },
  };

  it('marks repeats of the same cycle with the first sample results, and counts a new cycle again', () => {
    const qc = new ChannelQc({ qc: cfg, intervalMs: 10 * S, cycleMs: 3600 * S });
    const first = qc.evaluate({ ts: 0, value: 0.5, inService: true });
    expect(first.repeat).toBeUndefined();
    const again = qc.evaluate({ ts: 10 * S, value: 0.5, inService: true });
    expect(again).toEqual({ ...first, repeat: true });
    expect(qc.evaluate({ ts: 1800 * S, value: 0.5, inService: true }).repeat).toBe(true);
    // A cycle later an identical result is a new sample (the next cycle measured the same).
    expect(qc.evaluate({ ts: 3600 * S, value: 0.5, inService: true }).repeat).toBeUndefined();
    // A different value is a new cycle at once.
    expect(qc.evaluate({ ts: 3610 * S, value: 0.6, inService: true }).repeat).toBeUndefined();
  });

  it('uses the analyzer measurement time when it reports one', () => {
    const qc = new ChannelQc({ qc: cfg, intervalMs: 10 * S, cycleMs: 3600 * S });
    qc.evaluate({ ts: 0, value: 0.5, inService: true, measuredAt: 1000 });
    expect(qc.evaluate({ ts: 10 * S, value: 0.5, inService: true, measuredAt: 1000 }).repeat).toBe(true);
    // Same value, new measurement: a new sample although less than a cycle has passed.
    expect(qc.evaluate({ ts: 20 * S, value: 0.5, inService: true, measuredAt: 2000 }).repeat).toBeUndefined();
  });

  it('repeats do not make a flat line: only distinct cycle results enter the history', () => {
    const qc = new ChannelQc({ qc: cfg, intervalMs: 10 * S, cycleMs: 3600 * S });
    let last: QcResults | undefined;
    for (let t = 0; t < 4 * 3600; t += 10) {
      last = qc.evaluate({ ts: t * S, value: 1 + Math.floor(t / 3600), inService: true });
    }
    // Values 1, 2, 3, 4 hourly, each polled 360 times: not flat. The gap limit is 2.5 cycles, so
    // results an hour apart are one stretch: the 4th result is compared with median(1, 2, 3) = 2.
    expect(last).toEqual({ gross: 2, range: 2, spike: 3, roc: 2, flat: 1, repeat: true });
  });
});

describe('ChannelQc.prime', () => {
  it('restores the state: evaluating after a restart equals an unbroken run', () => {
    const cfg: ChannelQcConfig = {
      spike: { suspect: 2, fail: 5 },
      rateOfChange: { suspect: 0.3, fail: 1 },
      flatLine: { suspect: 60 * S, fail: 120 * S, tolerance: 0.5 },
      grossRange: { fail: [0, 50], suspect: [2, 40] },
    };
    const row = fc.record({
      dt: fc.oneof(
        fc.constant(10 * S),
        fc.integer({ min: 1, max: 60 * S }),
        fc.integer({ min: -30 * S, max: 0 }),
      ),
      value: fc.option(fc.integer({ min: 0, max: 60 }), { nil: null, freq: 8 }),
      inService: fc.integer({ min: 0, max: 5 }).map((n) => n > 0),
      cycle: fc.constant(undefined),
    });
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 2, maxLength: 60 }),
        fc.nat(),
        fc.boolean(),
        (rows, cut, cycle) => {
          let ts = 1_000_000;
          const inputs: QcInput[] = rows.map((r) => {
            ts += r.dt;
            return { ts, value: r.value, inService: r.inService };
          });
          const opts = { qc: cfg, intervalMs: 10 * S, cycleMs: cycle ? 30 * S : undefined };
          const whole = new ChannelQc(opts);
          const expected = inputs.map((i) => whole.evaluate(i));
          const k = cut % inputs.length;
          const first = new ChannelQc(opts);
          const stored = inputs.slice(0, k).map((i) => ({ ...i, qc: first.evaluate(i) }));
          const restarted = new ChannelQc(opts);
          restarted.prime(stored);
          expect(inputs.slice(k).map((i) => restarted.evaluate(i))).toEqual(expected.slice(k));
        },
      ),
      { numRuns: 300 },
    );
  });
});
