import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { freePort } from '../support/freePort.js';
import { DEMO_MAP, nutrientDevice, sondeDevice } from '../support/stationFixture.js';
import { account, type StoreCount } from './accounting.js';
import { type Rig, type RigOptions, startRig } from './rig.js';
import type { StoreSnapshot } from './storeProbe.js';

/** What every scenario gets and gives back; the harness (main.ts) and the test run the same code. */

export type Size = 'quick' | 'full';

export interface ScenarioContext {
  size: Size;
  /** Harness wall time in ms (the agent's own clock may be faked; ours never is). */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Seeded: a run can be repeated with the same kill moments. */
  random(): number;
  progress(message: string): void;
}

export type ScenarioStatus = 'pass' | 'fail' | 'not-runnable';

export interface ScenarioResult {
  id: string;
  title: string;
  size: Size;
  params: Record<string, string | number>;
  status: ScenarioStatus;
  produced: number;
  delivered: number;
  lost: number;
  /** Missing seqs as ranges. */
  missing: string;
  duplicated: number;
  /** Seqs received that the store never gave out. */
  unknown: number;
  /** Loss the policy allows and reported (budget scenario), null where the target is 0. */
  policyLoss: number | null;
  /** From the end of the fault until everything stored by then was delivered. */
  recoverMs: number | null;
  /** From the end of the fault until the first reading newer than the fault arrived. */
  firstLiveMs: number | null;
  /** Blackhole: from its start until the agent dropped the dead connection and dialled again. */
  detectMs: number | null;
  notes: string[];
  /** Why the scenario failed (empty when it passed). */
  problems: string[];
}

export interface Scenario {
  id: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

export const TCP_INTERVAL_MS = 500;
/** nutrient (2 channels) + sonde (5 channels) per poll. */
export const TCP_CHANNELS = 7;

/** The demo water station on the Modbus TCP simulator, both analyzers polled every 500 ms. */
export async function tcpStation(
  scenario: string,
  ctx: ScenarioContext,
  extra: Partial<RigOptions> = {},
): Promise<{ rig: Rig; sim: SimulatorHandle; dispose(): Promise<void> }> {
  const port = await freePort();
  const sim = await startSimulator({ mapFile: DEMO_MAP, port });
  const interval = `${TCP_INTERVAL_MS}ms`;
  const rig = await startRig({
    scenario,
    now: ctx.now,
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
    devices: [nutrientDevice('lan', interval), sondeDevice('lan', interval)],
    ...extra,
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

/** Waits until the store has given out at least `n` more seqs than now (the station is producing). */
export async function produce(rig: Rig, ctx: ScenarioContext, n: number, timeoutMs = 30_000): Promise<void> {
  const start = rig.store(false).maxSeq;
  const deadline = ctx.now() + timeoutMs;
  while (rig.store(false).maxSeq < start + n) {
    if (ctx.now() > deadline)
      throw new Error(`the station produced fewer than ${n} readings in ${timeoutMs} ms`);
    await ctx.sleep(50);
  }
}

export interface Outcome {
  params: Record<string, string | number>;
  recoverMs: number | null;
  firstLiveMs: number | null;
  detectMs?: number | null;
  notes?: string[];
  problems?: string[];
  /** Stores set aside earlier in the run (corrupt database), already drained. */
  earlierStores?: StoreSnapshot[];
  policyLoss?: number | null;
  /** Serial scenarios: poll slots (× channels) that left no row at all; counted as lost. */
  slotLoss?: number;
  /** Further judgement of the missing seqs (budget: each within a reported loss range). */
  check?: (missingSeqs: readonly number[]) => string[];
}

/** Drains the store, counts, and judges: lost must equal the policy loss (0 unless stated). */
export async function conclude(
  scenario: Scenario,
  ctx: ScenarioContext,
  rig: Rig,
  o: Outcome,
): Promise<ScenarioResult> {
  const final = await rig.drain();
  const stores: StoreCount[] = [...(o.earlierStores ?? []), final].map((s) => ({
    key: rig.keyOf(s.dbId),
    maxSeq: s.maxSeq,
  }));
  const counts = account(stores, { distinct: rig.log.distinct, received: rig.log.received() });
  const problems = [...(o.problems ?? [])];
  const allowed = o.policyLoss ?? 0;
  const slotLoss = o.slotLoss ?? 0;
  const lost = counts.lost + slotLoss;
  if (counts.lost !== allowed) {
    problems.push(`lost ${counts.lost} (expected ${allowed}): missing seqs ${counts.missing.slice(0, 300)}`);
  }
  problems.push(...(o.check?.(counts.missingSeqs) ?? []));
  if (slotLoss > 0) problems.push(`${slotLoss} channel readings of poll slots were never stored`);
  const conflicts = rig.log.conflicts();
  if (conflicts > 0)
    problems.push(`${conflicts} repeats differ from the first arrival of their (station, db, seq)`);
  if (counts.unknown > 0) problems.push(`${counts.unknown} seqs received that the store never gave out`);
  if (o.recoverMs === null) problems.push('did not recover: the backlog was not delivered in time');
  for (const exit of rig.unexpectedExits) problems.push(`agent exited by itself: ${exit}`);
  if (counts.produced === 0) problems.push('nothing was produced');
  return {
    id: scenario.id,
    title: scenario.title,
    size: ctx.size,
    params: o.params,
    status: problems.length === 0 ? 'pass' : 'fail',
    produced: counts.produced,
    delivered: counts.delivered,
    lost,
    missing: counts.missing,
    duplicated: counts.duplicated,
    unknown: counts.unknown,
    policyLoss: o.policyLoss ?? null,
    recoverMs: o.recoverMs,
    firstLiveMs: o.firstLiveMs,
    detectMs: o.detectMs ?? null,
    notes: o.notes ?? [],
    problems,
  };
}

/** A scenario that could not run (a feature it needs is missing): reported, never counted as a pass. */
export function notRunnable(scenario: Scenario, ctx: ScenarioContext, why: string): ScenarioResult {
  return {
    id: scenario.id,
    title: scenario.title,
    size: ctx.size,
    params: {},
    status: 'not-runnable',
    produced: 0,
    delivered: 0,
    lost: 0,
    missing: '',
    duplicated: 0,
    unknown: 0,
    policyLoss: null,
    recoverMs: null,
    firstLiveMs: null,
    detectMs: null,
    notes: [],
    problems: [why],
  };
}
