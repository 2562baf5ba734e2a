/**
 * Issue 3's Modbus RTU promises on real pseudo-terminals (socat): the RTU simulator answers on one
 * end, the agent (in-process StationAgent, real clock, real SQLite file) polls the other. Every
 * assertion reads what the agent committed to its database.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StationAgent } from '../../agent/app/stationAgent.js';
import { stationConfigSchema } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { noMetrics } from '../../agent/core/metricsSink.js';
import { noAgentControl } from '../../agent/uplink/agentControl.js';
import { type RtuSimulatorHandle, startRtuSimulator } from '../../scripts/simulator/rtuServer.js';
import type { SimulatorMapInput } from '../../scripts/simulator/simulatorConfig.js';
import { waitFor } from '../../scripts/support/agentProcess.js';
import { createPtyPair, type PtyPair } from '../../scripts/support/pty.js';
import { readStored, type StoredRow, sleep, tempStation } from '../../scripts/support/stationFixture.js';

const constant = (value: number) => ({ kind: 'constant' as const, value });

/** Two analyzers on one RS-485 line; every value distinct, so a mixed-up answer would show. */
const MAP: SimulatorMapInput = {
  units: [
    {
      unit: 1,
      name: 'sonde',
      points: [
        { name: 'temp', table: 'holding', address: 0, type: 'float32', generator: constant(17.25) },
        {
          name: 'level',
          table: 'holding',
          address: 2,
          type: 'uint16',
          scale: 0.01,
          generator: constant(3.21),
        },
        { name: 'ph', table: 'holding', address: 3, type: 'int16', scale: 0.01, generator: constant(-1.5) },
        { name: 'wiper', table: 'coil', address: 5, type: 'bool', generator: constant(1) },
      ],
    },
    {
      unit: 2,
      name: 'flow',
      points: [
        {
          name: 'flow',
          table: 'input',
          address: 0,
          type: 'float32',
          order: 'CDAB',
          generator: constant(181.5),
        },
        { name: 'total', table: 'input', address: 2, type: 'uint32', generator: constant(987_654) },
        { name: 'alarm', table: 'discrete', address: 1, type: 'bool', generator: constant(1) },
        { name: 'ready', table: 'discrete', address: 2, type: 'bool', generator: constant(0) },
      ],
    },
  ],
};

/** What the agent must store for each channel (engineering values as the map defines them). */
const EXPECTED: Record<string, Record<string, number>> = {
  sonde: { temp: 17.25, level: 3.21, ph: -1.5, wiper: 1 },
  flow: { flow: 181.5, total: 987_654, alarm: 1, ready: 0 },
};

function devices(interval: { sonde: string; flow: string }, isolation?: { after: number; interval: string }) {
  const reg = (table: string, address: number, type: string, extra = {}) => ({
    register: { table, address, type },
    ...extra,
  });
  return [
    {
      id: 'sonde',
      bus: 'rs485',
      unit: 1,
      interval: interval.sonde,
      channels: [
        { id: 'temp', ...reg('holding', 0, 'float32') },
        { id: 'level', ...reg('holding', 2, 'uint16'), scale: 0.01 },
        { id: 'ph', ...reg('holding', 3, 'int16'), scale: 0.01 },
        { id: 'wiper', ...reg('coil', 5, 'bool') },
      ],
    },
    {
      id: 'flow',
      bus: 'rs485',
      unit: 2,
      interval: interval.flow,
      ...(isolation ? { isolation } : {}),
      channels: [
        { id: 'flow', register: { table: 'input', address: 0, type: 'float32', order: 'CDAB' } },
        { id: 'total', ...reg('input', 2, 'uint32') },
        { id: 'alarm', ...reg('discrete', 1, 'bool') },
        { id: 'ready', ...reg('discrete', 2, 'bool') },
      ],
    },
  ];
}

interface Rig {
  pty: PtyPair;
  sim: RtuSimulatorHandle;
  agent: StationAgent;
  rows(): StoredRow[];
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function rig(devs: unknown[], bus: Record<string, unknown> = {}): Promise<Rig> {
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const pty = await createPtyPair();
  cleanups.push(() => pty.stop());
  const sim = await startRtuSimulator({ map: MAP, path: pty.simPath, baudRate: 38400, seed: 3 });
  cleanups.push(() => sim.stop());
  const config = stationConfigSchema.parse({
    version: 1,
    station: { id: 'RTU-IT' },
    storage: { path: tmp.dbPath, synchronous: 'normal' },
    buses: [
      {
        id: 'rs485',
        type: 'serial',
        port: pty.agentPath,
        baudRate: 38400,
        timeout: '150ms',
        retries: 1,
        reconnect: { min: '200ms', max: '1s' },
        ...bus,
      },
    ],
    devices: devs,
  });
  const agent = new StationAgent({
    config,
    configHash: 'test',
    clock: systemClock,
    log: silentLogger(),
    control: noAgentControl,
    metrics: noMetrics,
  });
  cleanups.push(() => agent.stop());
  agent.start();
  return { pty, sim, agent, rows: () => readStored(tmp.dbPath) };
}

/** Poll start times of a device (all readings of one poll share its ts). */
function polls(rows: StoredRow[], device: string, from = 0, to = Number.POSITIVE_INFINITY): number[] {
  return [...new Set(rows.filter((r) => r.device === device && r.ts >= from && r.ts < to).map((r) => r.ts))];
}

/** Configured polls in [from, to): one at `from`, then one per interval. */
const configured = (from: number, to: number, intervalMs: number) => Math.floor((to - from) / intervalMs);

/** Every reading is either the right value flagged N, or null flagged B: never a wrong value. */
function expectNoWrongValue(rows: StoredRow[]): void {
  for (const r of rows) {
    if (r.flag === 'B') {
      expect(r.value, `${r.device}/${r.channel}`).toBeNull();
      continue;
    }
    expect(r.flag, `${r.device}/${r.channel}`).toBe('N');
    expect(r.value, `${r.device}/${r.channel}`).toBeCloseTo(EXPECTED[r.device]![r.channel]!, 4);
  }
}

describe('Modbus RTU line (real ptys, RTU simulator, in-process agent)', () => {
  it('polls two units on one line at their intervals and decodes every table', async () => {
    const { rows } = await rig(devices({ sonde: '300ms', flow: '500ms' }));
    await waitFor(() => polls(rows(), 'flow').length > 0, 5000, 'first poll');
    const t0 = Math.min(...polls(rows(), 'sonde'), ...polls(rows(), 'flow'));
    await sleep(4000);
    const all = rows();
    const t1 = Math.max(...all.map((r) => r.ts));

    expect(all.length).toBeGreaterThan(0);
    expect(all.every((r) => r.flag === 'N')).toBe(true);
    expectNoWrongValue(all);
    expect(new Set(all.map((r) => `${r.device}/${r.channel}`)).size).toBe(8);
    // Each poll stores all four channels of its device.
    for (const ts of polls(all, 'sonde'))
      expect(all.filter((r) => r.ts === ts && r.device === 'sonde')).toHaveLength(4);
    expect(polls(all, 'sonde', t0, t1).length).toBeGreaterThanOrEqual(0.9 * configured(t0, t1, 300));
    expect(polls(all, 'flow', t0, t1).length).toBeGreaterThanOrEqual(0.9 * configured(t0, t1, 500));
    // ...and not more often than configured either.
    expect(polls(all, 'sonde', t0, t1).length).toBeLessThanOrEqual(configured(t0, t1, 300) + 2);
  });

  it('keeps a silent unit from taking the line: the other gets ≥ 90 % of its polls; it comes back by itself', async () => {
    const { sim, agent, rows } = await rig(
      devices({ sonde: '500ms', flow: '500ms' }, { after: 3, interval: '3s' }),
    );
    await waitFor(() => polls(rows(), 'flow').length >= 2, 5000, 'both units polled');
    const t0 = Date.now();
    sim.setSilent(2, true);
    await waitFor(() => agent.status().devices.some((d) => d.id === 'flow' && d.isolated), 6000, 'isolation');
    const isolatedFrom = Date.now();
    const requestsBefore = sim.stats().units[2]!.requests;
    await sleep(8000); // isolated: the line is asked every 3 s instead of every 500 ms
    const requestsIsolated = sim.stats().units[2]!.requests - requestsBefore;
    const silentEnd = Date.now();
    sim.setSilent(2, false);
    await waitFor(() => agent.status().devices.some((d) => d.id === 'flow' && !d.isolated), 6000, 'return');
    const back = Date.now();
    await sleep(2500);
    const t1 = Date.now();
    const all = rows();

    // The answering unit kept its pace throughout.
    const sondePolls = polls(all, 'sonde', t0, t1 - 600); // the last poll may not be committed yet
    expect(sondePolls.length).toBeGreaterThanOrEqual(0.9 * configured(t0, t1 - 600, 500));
    expect(all.filter((r) => r.device === 'sonde' && r.ts >= t0).every((r) => r.flag === 'N')).toBe(true);

    // While isolated the silent unit was asked at the reduced rate only (a request and its retry per
    // probe: ~3 probes in 8 s, against 16 polls at its own interval)...
    expect(requestsIsolated).toBeLessThanOrEqual(2 * 4);
    expect(requestsIsolated).toBeGreaterThanOrEqual(2);
    // ...yet a B reading was stored for every slot of its own interval, so platforms see each one.
    const silentSlots = polls(all, 'flow', isolatedFrom, silentEnd);
    expect(silentSlots.length).toBeGreaterThanOrEqual(0.9 * configured(isolatedFrom, silentEnd, 500));
    const flowSilent = all.filter((r) => r.device === 'flow' && r.ts > t0 + 100 && r.ts < silentEnd);
    expect(flowSilent.every((r) => r.flag === 'B' && r.value === null)).toBe(true);

    // Back at its own interval, with good values.
    expect(polls(all, 'flow', back, t1).length).toBeGreaterThanOrEqual(0.9 * configured(back, t1, 500) - 1);
    const flowBack = all.filter((r) => r.device === 'flow' && r.ts >= back);
    expect(flowBack.length).toBeGreaterThan(0);
    expect(flowBack.every((r) => r.flag === 'N')).toBe(true);
    expectNoWrongValue(all);
  });

  it('never stores a wrong value when 10 % of the answers are corrupted', async () => {
    const { sim, rows } = await rig(devices({ sonde: '200ms', flow: '200ms' }));
    sim.setCorruptCrc(1, 0.1);
    sim.setCorruptCrc(2, 0.1);
    await sleep(7000);
    const all = rows();
    const stats = sim.stats().units;
    const corrupted = stats[1]!.corrupted + stats[2]!.corrupted;
    expect(corrupted).toBeGreaterThanOrEqual(3); // ~10 % of roughly 140 answers
    expectNoWrongValue(all);
    // Retries make most polls good despite the noise.
    const good = all.filter((r) => r.flag === 'N').length;
    expect(good / all.length).toBeGreaterThan(0.8);
  });

  it('survives the line vanishing for 10 s: B meanwhile, then polling resumes without a restart', async () => {
    const { pty, sim, agent, rows } = await rig(devices({ sonde: '300ms', flow: '300ms' }));
    await waitFor(() => polls(rows(), 'flow').length >= 3, 5000, 'polling');
    const unplugged = Date.now();
    await pty.stop(); // socat ends: both pty links vanish
    await sleep(10_000);
    const replugged = Date.now();
    await pty.start();
    await waitFor(
      () => {
        const r = rows().filter((x) => x.ts > replugged && x.flag === 'N');
        return new Set(r.map((x) => x.device)).size === 2;
      },
      8000,
      'good readings from both units after the replug',
    );
    await sleep(1500);
    const all = rows();

    // While unplugged: polls went on (failing fast), every reading flagged B.
    const gap = all.filter((r) => r.ts > unplugged + 1000 && r.ts < replugged);
    expect(gap.length).toBeGreaterThan(0);
    expect(gap.every((r) => r.flag === 'B' && r.value === null)).toBe(true);
    for (const d of ['sonde', 'flow']) {
      expect(polls(all, d, unplugged + 1000, replugged).length).toBeGreaterThanOrEqual(
        0.8 * configured(unplugged + 1000, replugged, 300),
      );
    }
    // Back: the same agent polls again with good values, the simulator saw the port come back.
    const after = all.filter((r) => r.ts > replugged);
    expect(after.some((r) => r.device === 'sonde' && r.flag === 'N')).toBe(true);
    expectNoWrongValue(all);
    expect(sim.stats().opens).toBeGreaterThanOrEqual(2);
    expect(agent.status().devices.every((d) => d.polls > 0)).toBe(true);
    // The event log, as the status page shows it: the configuration applied, the line lost and back.
    const kinds = agent
      .recentEvents(20)
      .map((e) => e.event.kind)
      .reverse();
    expect(kinds[0]).toBe('config-applied');
    expect(kinds.indexOf('link-lost')).toBeGreaterThan(0);
    expect(kinds.indexOf('link-restored')).toBeGreaterThan(kinds.indexOf('link-lost'));
  });
});
