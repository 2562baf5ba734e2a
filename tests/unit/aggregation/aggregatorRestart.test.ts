import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DataFlag } from '../../../agent/core/reading.js';
import type { StoredAggregate } from '../../../agent/store/aggregateStore.js';
import { FakeClock } from '../../helpers/fakeClock.js';
import { AggregationHarness, COD, cod, cst } from './aggregationHarness.js';

const FLOW = { ...COD, channel: 'flow', code: 'w00000', cumulative: { rollover: 10_000 } };

interface Step {
  cod: number | null;
  flag: DataFlag;
  flow: number;
  /** Time to the next poll: mostly the 10 s interval, sometimes an outage of the device. */
  wait: number;
}

const step: fc.Arbitrary<Step> = fc.record({
  cod: fc.option(
    fc.integer({ min: 0, max: 500 }).map((v) => v / 10),
    { nil: null, freq: 10 },
  ),
  flag: fc.constantFrom<DataFlag>('N', 'N', 'N', 'N', 'C', 'D', 'T'),
  flow: fc.integer({ min: 0, max: 30 }),
  wait: fc.oneof(
    { weight: 20, arbitrary: fc.constant(10_000) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((m) => m * 60_000) },
  ),
});

/** Runs the steps from 23:40 station time (so a day closes), restarting the aggregator before step `restartAt`. */
async function run(steps: Step[], restartAt: number | null): Promise<AggregationHarness> {
  const clock = new FakeClock({ wall: cst(23, 40) });
  const h = new AggregationHarness(clock, [COD, FLOW]);
  let counter = 9_000; // wraps at 10 000 during the run
  for (const [i, s] of steps.entries()) {
    if (i === restartAt) h.boot();
    counter = (counter + s.flow) % 10_000;
    h.poll(
      cod(s.cod, s.cod === null ? {} : { flag: s.flag }),
      cod(counter, { channel: 'flow', code: 'w00000' }),
    );
    await h.run(s.wait, 10_000);
  }
  // until the day of 28 November and the last hour are closed
  const until = Math.max(cst(0, 1, 0, 29), clock.now() + 3_600_000);
  await h.run(until - clock.now(), 60_000);
  return h;
}

function all(h: AggregationHarness): Omit<StoredAggregate, 'aseq'>[] {
  return h.channels.flatMap((ch) =>
    (['minute', 'hour', 'day'] as const).flatMap((p) => h.records(p, ch).map(({ aseq: _, ...r }) => r)),
  );
}

function identities(h: AggregationHarness): string[] {
  return h.committed.map((r) => `${r.channel}/${r.period}/${r.start}`);
}

describe('Aggregator across a restart', () => {
  it('gives the same records whether or not the agent restarted mid-period (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 2, maxLength: 150 }), fc.nat(), async (steps, cut) => {
        const k = 1 + (cut % (steps.length - 1));
        const once = await run(steps, null);
        const restarted = await run(steps, k);
        expect(all(restarted)).toEqual(all(once));
        // and no period was stored twice in either run
        for (const h of [once, restarted]) expect(new Set(identities(h)).size).toBe(h.committed.length);
        expect(once.records('day')).toHaveLength(1);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('a restart in the middle of a minute keeps that minute whole', async () => {
    const steps: Step[] = Array.from({ length: 12 }, (_, i) => ({
      cod: 20 + i,
      flag: 'N',
      flow: 5,
      wait: 10_000,
    }));
    const once = await run(steps, null);
    const restarted = await run(steps, 3); // after 23:40:20, inside minute 23:40
    const first = (h: AggregationHarness) => h.records('minute')[0]!;
    expect(first(restarted)).toMatchObject({ start: cst(23, 40), count: 6, valid: 6, min: 20, max: 25 });
    expect(first(restarted)).toEqual({ ...first(once), aseq: first(restarted).aseq });
    expect(restarted.records('minute', FLOW)[0]!.cou).toBe(25);
  });
});
