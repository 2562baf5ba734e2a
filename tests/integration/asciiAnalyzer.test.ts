import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblems, loadConfigText } from '../../agent/config/load.js';
import type { DeviceConfig, SerialBusConfig } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import type { PollResult } from '../../agent/core/pollOutcome.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { createAsciiDevicePoller } from '../../drivers/ascii/asciiDevicePoller.js';
import { createLineForBus } from '../../drivers/serial/lineFromConfig.js';
import type { SerialLine } from '../../drivers/serial/serialLine.js';
import { type AsciiSimulatorHandle, startAsciiSimulator } from '../../scripts/simulator/asciiServer.js';
import { createPtyPair, type PtyPair } from '../../scripts/support/pty.js';

/**
 * A C-Link O3 analyzer (the ascii simulator) on one end of a real pseudo-terminal pair, the agent's
 * serial line and ascii poller on the other, configured through the thermo/49i-clink profile:
 * values and status flags arrive as readings, and silence and noise turn into B.
 */

const DEFINITION = fileURLToPath(new URL('../../scripts/simulator/ascii/thermo-49i.yaml', import.meta.url));
const SERVICE_MODE = 0x2000_0000;
const LAMP_ALARM = 0x0000_0004;

let pty: PtyPair;
let sim: AsciiSimulatorHandle;
let line: SerialLine;
let device: DeviceConfig;

function loadStation(port: string): { device: DeviceConfig; bus: SerialBusConfig } {
  const text = `
version: 1
station: { id: pty-test }
storage: { path: ./unused.db }
buses: [{ id: com1, type: serial, port: "${port}", baudRate: 9600, timeout: 300ms }]
devices:
  - id: o3
    bus: com1
    interval: 1s
    profile: thermo/49i-clink
    ascii: { timeout: 300ms }
`;
  const result = loadConfigText(text, 'station.yaml', {});
  if (!result.ok) throw new Error(formatProblems(result.problems));
  const bus = result.config.buses[0]!;
  if (bus.type !== 'serial') throw new Error('expected the serial bus');
  return { device: result.config.devices[0]!, bus };
}

async function poll(dev: DeviceConfig = device): Promise<PollResult> {
  return createAsciiDevicePoller({ device: dev, line, clock: systemClock, log: silentLogger() }).poll();
}

beforeAll(async () => {
  pty = await createPtyPair();
  sim = await startAsciiSimulator({ path: pty.simPath, definitionFile: DEFINITION });
  const station = loadStation(pty.agentPath);
  device = station.device;
  line = createLineForBus(station.bus, { clock: systemClock, log: silentLogger() });
  line.start();
  expect(await line.ready(5000)).toBe(true);
});

afterAll(async () => {
  await line?.stop();
  await sim?.stop();
  await pty?.stop();
});

describe('an ascii analyzer on a serial line', () => {
  it('is polled: its value and status arrive, poll after poll', async () => {
    sim.setStatus(0);
    for (const o3 of [34.5, 0.0345, 12]) {
      sim.setValue('o3', o3);
      const result = await poll();
      expect(result.errors.map((e) => e.message)).toEqual([]);
      expect(result.state).toBe(0);
      expect(result.readings).toHaveLength(1);
      const r = result.readings[0]!;
      expect(r).toMatchObject({ device: 'o3', channel: 'o3', code: 'a05024', unit: 'ppb', flag: 'N' });
      expect(r.value).toBeCloseTo(o3, 6);
    }
    sim.setValue('o3', null); // the generator: a sine around 35 ppb
    const result = await poll();
    expect(result.readings[0]!.value).toBeGreaterThan(20);
    expect(result.readings[0]!.flag).toBe('N');
  });

  it('flags the values M while the analyzer is in service mode, D on an alarm', async () => {
    sim.setValue('o3', 30);
    sim.setStatusBits(SERVICE_MODE, true);
    let result = await poll();
    expect(result.state).toBe(SERVICE_MODE);
    expect(result.readings[0]).toMatchObject({ value: 30, flag: 'M' });

    // Service mode outranks an alarm (the profile's rule order); once it ends the alarm shows.
    sim.setStatusBits(LAMP_ALARM, true);
    expect((await poll()).readings[0]!.flag).toBe('M');
    sim.setStatusBits(SERVICE_MODE, false);
    result = await poll();
    expect(result.state).toBe(LAMP_ALARM);
    expect(result.readings[0]).toMatchObject({ value: 30, flag: 'D' });

    sim.setStatus(0);
    expect((await poll()).readings[0]!.flag).toBe('N');
  });

  it('gives B when the analyzer is silent, without asking for its status too', async () => {
    sim.setSilent(true);
    const before = sim.stats().dropped;
    const started = Date.now();
    const result = await poll();
    expect(Date.now() - started).toBeLessThan(1000); // one timeout (300 ms), not two
    expect(sim.stats().dropped - before).toBe(1);
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.code)).toEqual(['ASCII_TIMEOUT']);
    expect(result.readings[0]).toMatchObject({ value: null, flag: 'B' });

    sim.setSilent(false);
    sim.setValue('o3', 33);
    const back = await poll();
    expect(back.ok).toBe(true);
    expect(back.readings[0]).toMatchObject({ value: 33, flag: 'N' });
  });

  it('gives B for noise and D for an answer without a number', async () => {
    sim.setGarbage(true);
    let result = await poll();
    expect(result.errors[0]?.code).toBe('ASCII_BAD_RESPONSE');
    expect(result.readings[0]).toMatchObject({ value: null, flag: 'B' });
    sim.setGarbage(false);

    sim.setValue('o3', '----');
    result = await poll();
    expect(result.readings[0]).toMatchObject({ value: null, flag: 'D' });
    sim.setValue('o3', 31);
    expect((await poll()).readings[0]).toMatchObject({ value: 31, flag: 'N' });
  });

  it('is not answered by an analyzer with another id (prefix byte 128 + id)', async () => {
    const other: DeviceConfig = { ...device, ascii: { ...device.ascii!, prefixByte: 128 + 50 } };
    const before = sim.stats().otherId;
    const result = await poll(other);
    expect(result.readings[0]!.flag).toBe('B');
    expect(sim.stats().otherId - before).toBe(1);
  });

  it('produces readings the store commits as they are', async () => {
    const db = openDatabase({ path: ':memory:', log: silentLogger() });
    try {
      const store = new ReadingStore({ db });
      sim.setValue('o3', 28.5);
      sim.setStatus(SERVICE_MODE);
      const stored = store.append((await poll()).readings);
      sim.setStatus(0);
      expect(store.readAfter(0, 10)).toEqual(stored);
      expect(stored[0]).toMatchObject({
        device: 'o3',
        channel: 'o3',
        code: 'a05024',
        value: 28.5,
        flag: 'M',
      });
    } finally {
      db.close();
    }
  });
});
