import { existsSync, statSync } from 'node:fs';
import { type SimulatorHandle, startSimulator } from '../../simulator/modbusTcpServer.js';
import type { SimulatorMapInput } from '../../simulator/simulatorConfig.js';
import { freePort } from '../../support/freePort.js';
import { ranges } from '../accounting.js';
import { type Rig, startRig } from '../rig.js';
import { conclude, produce, type Scenario, type ScenarioContext } from '../scenario.js';
import { storedEvents } from '../storeProbe.js';

/**
 * The disk budget exhausted: a small storage.maxSize, a fast station (4 analyzers × 50 channels
 * every 200 ms, 1000 readings/s) and the broker down, so nothing is confirmed and the store must
 * evict unconfirmed readings. Contract (storeBudget.ts, eviction.ts): oldest first, never a hole,
 * each loss recorded as a `data-loss` event {table, device, channel, count, seqFrom, seqTo, …} and
 * forwarded on the events topic. Loss here follows the policy: lost must equal the sum of the
 * reported counts, and every missing seq must lie in a reported range.
 */

const UNITS = 4;
const CHANNELS = 50;

function fastMap(): SimulatorMapInput {
  return {
    units: Array.from({ length: UNITS }, (_, u) => ({
      unit: u + 1,
      name: `analyzer-${u + 1}`,
      points: Array.from({ length: CHANNELS }, (_, i) => ({
        name: `p${i}`,
        table: 'holding' as const,
        address: i,
        type: 'int16' as const,
        generator: { kind: 'sine' as const, mean: 100 + i, amplitude: 10, period: '10m' },
      })),
    })),
  };
}

function fastDevices() {
  return Array.from({ length: UNITS }, (_, u) => ({
    id: `a${u + 1}`,
    bus: 'lan',
    unit: u + 1,
    interval: '200ms',
    channels: Array.from({ length: CHANNELS }, (_, i) => ({
      id: `p${i}`,
      register: { table: 'holding', address: i, type: 'int16' },
    })),
  }));
}

async function budgetStation(
  ctx: ScenarioContext,
  maxSize: string,
): Promise<{ rig: Rig; sim: SimulatorHandle; dispose(): Promise<void> }> {
  const port = await freePort();
  const sim = await startSimulator({ map: fastMap(), port });
  const rig = await startRig({
    scenario: 'disk-budget',
    now: ctx.now,
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
    devices: fastDevices(),
    storage: { maxSize, checkInterval: '1s' },
  });
  return {
    rig,
    sim,
    async dispose() {
      await rig.dispose();
      await sim.stop();
    },
  };
}

interface LossEvent {
  id: number;
  envelopeDb: string;
  table: string;
  count: number;
  seqFrom: number | null;
  seqTo: number | null;
}

export const diskBudget: Scenario = {
  id: 'disk-budget',
  title: 'disk budget exhausted (broker down)',
  async run(ctx) {
    const maxSize = ctx.size === 'full' ? '2MB' : '512KB';
    const atCapMs = ctx.size === 'full' ? 60_000 : 5_000;
    const st = await budgetStation(ctx, maxSize);
    try {
      const { rig } = st;
      rig.startAgent();
      const problems: string[] = [];
      await produce(rig, ctx, 2000);
      await rig.broker.stop();
      // Until the cap forces the first unconfirmed eviction, then a while at the cap.
      const deadline = ctx.now() + 180_000;
      let ticks = 0;
      while (storedEvents(rig.dbPath, 'data-loss').length === 0) {
        if (ctx.now() > deadline) throw new Error(`no data-loss event within 180 s at maxSize ${maxSize}`);
        await ctx.sleep(500);
        if (++ticks % 20 === 0)
          ctx.progress(`filling: ${storeBytes(rig.dbPath)} bytes, seq ${rig.store(false).maxSeq}`);
      }
      ctx.progress('store at its cap, evicting unconfirmed readings');
      await ctx.sleep(atCapMs);
      await rig.broker.restart();
      const faultEnd = ctx.now();
      const timing = await rig.recovery(faultEnd, 120_000);
      // Every loss the store recorded must reach the platform too.
      const recorded = storedEvents(rig.dbPath, 'data-loss').length;
      const until = ctx.now() + 30_000;
      const losses = () => distinctLosses(rig);
      while (losses().length < recorded && ctx.now() < until) await ctx.sleep(200);
      if (losses().length < recorded)
        problems.push(`${recorded} data-loss events recorded, ${losses().length} arrived`);
      const readingLosses = losses().filter((e) => e.table === 'readings');
      const reported = readingLosses.reduce((n, e) => n + e.count, 0);
      return await conclude(this, ctx, rig, {
        params: { maxSize, atCapS: atCapMs / 1000 },
        ...timing,
        policyLoss: reported,
        notes: [`${readingLosses.length} data-loss events for readings, ${reported} readings reported lost`],
        problems,
        check: (missing) => outsideRanges(missing, readingLosses),
      });
    } finally {
      await st.dispose();
    }
  },
};

function storeBytes(dbPath: string): number {
  return ['', '-wal'].reduce((n, s) => n + (existsSync(dbPath + s) ? statSync(dbPath + s).size : 0), 0);
}

function distinctLosses(rig: Rig): LossEvent[] {
  const seen = new Map<string, LossEvent>();
  for (const e of rig.log.events) {
    if (e.kind !== 'data-loss') continue;
    seen.set(`${e.envelopeDb}/${e.id}`, e as unknown as LossEvent);
  }
  return [...seen.values()];
}

/** Missing seqs no data-loss event covers: a loss the policy did not report. */
function outsideRanges(missing: readonly number[], losses: readonly LossEvent[]): string[] {
  const covered = (seq: number) =>
    losses.some((e) => e.seqFrom !== null && e.seqTo !== null && seq >= e.seqFrom && seq <= e.seqTo);
  const unreported = missing.filter((s) => !covered(s));
  return unreported.length === 0
    ? []
    : [`missing seqs outside every reported range: ${ranges(unreported).slice(0, 300)}`];
}
