import { DATA_FLAGS } from '../../../agent/core/reading.js';
import { type RtuSimulatorHandle, startRtuSimulator } from '../../simulator/rtuServer.js';
import type { SimulatorMapInput } from '../../simulator/simulatorConfig.js';
import { createPtyPair, type PtyPair } from '../../support/pty.js';
import { type PollDevice, pollSlots } from '../accounting.js';
import { type Rig, startRig } from '../rig.js';
import { conclude, produce, type Scenario, type ScenarioContext } from '../scenario.js';
import { pollRows } from '../storeProbe.js';

/**
 * Serial faults: an RS-485 line on a socat pty pair with the RTU simulator on the far end. Here
 * "lost" also covers acquisition: a failed poll must still store a B-flagged row per channel, so
 * every poll slot (1 s grid) of every device must have one row per channel, faults or not.
 */

const INTERVAL_MS = 1000;
const B_FLAG = DATA_FLAGS.indexOf('B');
const sine = (mean: number) => ({ kind: 'sine' as const, mean, amplitude: 1, period: '1h' });

const MAP: SimulatorMapInput = {
  units: [
    {
      unit: 1,
      name: 'sonde',
      points: [
        { name: 'temp', table: 'holding', address: 0, type: 'float32', generator: sine(17) },
        { name: 'ph', table: 'holding', address: 2, type: 'int16', scale: 0.01, generator: sine(7) },
        { name: 'do', table: 'holding', address: 3, type: 'int16', scale: 0.01, generator: sine(8) },
      ],
    },
    {
      unit: 2,
      name: 'flow',
      points: [
        { name: 'flow', table: 'input', address: 0, type: 'float32', generator: sine(180) },
        { name: 'level', table: 'input', address: 2, type: 'uint16', scale: 0.01, generator: sine(3) },
      ],
    },
  ],
};

const POLL_DEVICES: PollDevice[] = [
  { id: 'sonde', channels: 3, intervalMs: INTERVAL_MS },
  { id: 'flow', channels: 2, intervalMs: INTERVAL_MS },
];

function devices() {
  const ch = (id: string, table: string, address: number, type: string, scale = 1) => ({
    id,
    register: { table, address, type },
    scale,
  });
  // Isolation at the device's own interval: a failing unit keeps its 1 s slots (B rows), so the
  // slot count below needs no second grid.
  const common = {
    bus: 'rs485',
    interval: `${INTERVAL_MS}ms`,
    isolation: { after: 3, interval: `${INTERVAL_MS}ms` },
  };
  return [
    {
      id: 'sonde',
      unit: 1,
      ...common,
      channels: [
        ch('temp', 'holding', 0, 'float32'),
        ch('ph', 'holding', 2, 'int16', 0.01),
        ch('do', 'holding', 3, 'int16', 0.01),
      ],
    },
    {
      id: 'flow',
      unit: 2,
      ...common,
      channels: [ch('flow', 'input', 0, 'float32'), ch('level', 'input', 2, 'uint16', 0.01)],
    },
  ];
}

async function serialStation(
  scenario: string,
  ctx: ScenarioContext,
): Promise<{ rig: Rig; pty: PtyPair; sim: RtuSimulatorHandle; dispose(): Promise<void> }> {
  const pty = await createPtyPair();
  const sim = await startRtuSimulator({ map: MAP, path: pty.simPath, baudRate: 38400, seed: 8 });
  const rig = await startRig({
    scenario,
    now: ctx.now,
    buses: [
      {
        id: 'rs485',
        type: 'serial',
        port: pty.agentPath,
        baudRate: 38400,
        timeout: '200ms',
        retries: 1,
        reconnect: { min: '200ms', max: '1s' },
      },
    ],
    devices: devices(),
  });
  return {
    rig,
    pty,
    sim,
    async dispose() {
      await rig.dispose();
      await sim.stop();
      await pty.stop();
    },
  };
}

/** First stored N reading at or after `from` (wall ms of the agent = ours here), as a delay. */
async function goodAgain(rig: Rig, ctx: ScenarioContext, from: number): Promise<number | null> {
  const deadline = ctx.now() + 20_000;
  while (ctx.now() < deadline) {
    const good = pollRows(rig.dbPath, from).find((r) => r.flag === DATA_FLAGS.indexOf('N'));
    if (good !== undefined) return good.ts - from;
    await ctx.sleep(100);
  }
  return null;
}

/** The USB-RS485 adapter unplugged (socat ends, the device node vanishes) and plugged back. */
export const serialUnplug: Scenario = {
  id: 'serial-unplug',
  title: 'serial adapter unplugged and replugged',
  async run(ctx) {
    const unpluggedMs = ctx.size === 'full' ? 30_000 : 3_000;
    const st = await serialStation(this.id, ctx);
    try {
      const { rig, pty } = st;
      rig.startAgent();
      await produce(rig, ctx, 30);
      await pty.stop();
      await ctx.sleep(unpluggedMs);
      await pty.start();
      const faultEnd = ctx.now();
      const good = await goodAgain(rig, ctx, faultEnd);
      const timing = await rig.recovery(faultEnd, 60_000);
      await ctx.sleep(3 * INTERVAL_MS); // a few polls after the replug, counted below
      await rig.stopAgent();
      const slots = pollSlots(pollRows(rig.dbPath, 0), POLL_DEVICES, B_FLAG);
      return await conclude(this, ctx, rig, {
        params: { unpluggedS: unpluggedMs / 1000 },
        ...timing,
        slotLoss: slots.missingRows,
        notes: [
          `${slots.polls} polls, ${slots.bRows} B rows, ${slots.skippedSlots} slots skipped by a long poll`,
          good === null
            ? 'no good reading after the replug'
            : `good readings again ${good} ms after the replug`,
        ],
        problems: good === null ? ['no good reading after the replug'] : [],
      });
    } finally {
      await st.dispose();
    }
  },
};

/** Both analyzers answer with a broken CRC 10 % of the time. */
export const serialCrc: Scenario = {
  id: 'serial-crc',
  title: 'analyzer answers with a broken CRC 10 % of the time',
  async run(ctx) {
    const faultMs = ctx.size === 'full' ? 120_000 : 10_000;
    const st = await serialStation(this.id, ctx);
    try {
      const { rig, sim } = st;
      rig.startAgent();
      await produce(rig, ctx, 20);
      for (const unit of sim.units) sim.setCorruptCrc(unit, 0.1);
      await ctx.sleep(faultMs);
      for (const unit of sim.units) sim.setCorruptCrc(unit, 0);
      const faultEnd = ctx.now();
      const timing = await rig.recovery(faultEnd, 60_000);
      await rig.stopAgent();
      const slots = pollSlots(pollRows(rig.dbPath, 0), POLL_DEVICES, B_FLAG);
      const stats = sim.stats();
      const corrupted = Object.values(stats.units).reduce((n, u) => n + u.corrupted, 0);
      const answered = Object.values(stats.units).reduce((n, u) => n + u.answered, 0);
      return await conclude(this, ctx, rig, {
        params: { faultS: faultMs / 1000, corruptCrc: 0.1 },
        ...timing,
        slotLoss: slots.missingRows,
        notes: [
          `${corrupted} of ${answered} answers corrupted; ${slots.polls} polls, ${slots.bRows} B rows, ${slots.skippedSlots} slots skipped by a long poll`,
        ],
      });
    } finally {
      await st.dispose();
    }
  },
};
