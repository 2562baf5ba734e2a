import { afterEach, describe, expect, it } from 'vitest';
import type { SerialBusConfig } from '../../../agent/config/schema.js';
import { systemClock } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import { RtuBus } from '../../../drivers/modbus/rtuBus.js';
import { charTimeMs, lineTiming } from '../../../drivers/serial/lineFromConfig.js';
import { createControlHandler } from '../../../scripts/simulator/control.js';
import { type RtuSimulatorHandle, startRtuSimulator } from '../../../scripts/simulator/rtuServer.js';
import type { SimulatorMapInput } from '../../../scripts/simulator/simulatorConfig.js';
import { createPtyPair } from '../../../scripts/support/pty.js';
import { failure } from '../../helpers/busExpectations.js';

const MAP: SimulatorMapInput = {
  units: [
    {
      unit: 1,
      unmapped: 'exception',
      points: [
        {
          name: 'a',
          table: 'holding',
          address: 0,
          type: 'uint16',
          generator: { kind: 'constant', value: 1234 },
        },
        {
          name: 'b',
          table: 'holding',
          address: 1,
          type: 'int16',
          generator: { kind: 'constant', value: -2 },
        },
        { name: 'c', table: 'coil', address: 3, type: 'bool', generator: { kind: 'constant', value: 1 } },
      ],
    },
    {
      unit: 2,
      points: [
        {
          name: 'x',
          table: 'input',
          address: 10,
          type: 'uint16',
          generator: { kind: 'constant', value: 42 },
        },
        { name: 'y', table: 'discrete', address: 0, type: 'bool', generator: { kind: 'constant', value: 1 } },
        { name: 'z', table: 'discrete', address: 2, type: 'bool', generator: { kind: 'constant', value: 1 } },
      ],
    },
  ],
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function busConfig(path: string, overrides: Partial<SerialBusConfig> = {}): SerialBusConfig {
  return {
    id: 'rs485',
    type: 'serial',
    port: path,
    baudRate: 38400,
    parity: 'none',
    dataBits: 8,
    stopBits: 1,
    timeout: 150,
    retries: 1,
    reconnect: { min: 50, max: 200 },
    workarounds: { pauseAfterOpen: 0, guardTime: 50 },
    ...overrides,
  };
}

async function setup(
  overrides: Partial<SerialBusConfig> = {},
): Promise<{ bus: RtuBus; sim: RtuSimulatorHandle }> {
  const pty = await createPtyPair();
  cleanups.push(() => pty.stop());
  const sim = await startRtuSimulator({ map: MAP, path: pty.simPath, baudRate: 38400 });
  cleanups.push(() => sim.stop());
  const bus = new RtuBus({
    config: busConfig(pty.agentPath, overrides),
    clock: systemClock,
    log: silentLogger(),
  });
  cleanups.push(() => bus.stop());
  bus.start();
  expect(await bus.ready(2000)).toBe(true);
  return { bus, sim };
}

describe('RtuBus against the RTU simulator on a pty', () => {
  it('reads every table from several units', async () => {
    // A generous timeout: this test is about the tables, and a loaded CI machine can be slow to answer.
    const { bus } = await setup({ timeout: 1000 });
    expect(await bus.read(1, 'holding', 0, 2)).toEqual([1234, 0xfffe]);
    expect(await bus.read(1, 'coil', 3, 1)).toEqual([1]);
    expect(await bus.read(2, 'input', 10, 1)).toEqual([42]);
    expect(await bus.read(2, 'discrete', 0, 3)).toEqual([1, 0, 1]);
    expect(bus.stats()).toMatchObject({ transactions: 4, timeouts: 0, badResponses: 0, connected: true });
  });

  it('reports exceptions without retrying them', async () => {
    const { bus, sim } = await setup();
    const e = await failure(bus.read(1, 'holding', 50, 1)); // unmapped on a strict unit
    expect(e.code).toBe('MODBUS_EXCEPTION');
    expect(e.context).toMatchObject({ exceptionCode: 2, unit: 1, bus: 'rs485' });
    sim.setException(2, 4);
    expect((await failure(bus.read(2, 'input', 10, 1))).context.exceptionCode).toBe(4);
    expect(sim.stats().units[2]!.requests).toBe(1);
  });

  it('retries a silent unit, then times out; the other unit is unaffected', async () => {
    const { bus, sim } = await setup({ retries: 2 });
    sim.setSilent(2, true);
    expect((await failure(bus.read(2, 'input', 10, 1))).code).toBe('MODBUS_TIMEOUT');
    expect(sim.stats().units[2]!.requests).toBe(3);
    expect(await bus.read(1, 'holding', 0, 1)).toEqual([1234]);
    expect((await failure(bus.read(9, 'holding', 0, 1))).code).toBe('MODBUS_TIMEOUT'); // nobody is unit 9
  });

  it('refuses corrupted answers (counted as CRC errors) and retries them', async () => {
    const { bus, sim } = await setup({ retries: 1 });
    sim.setCorruptCrc(1, 1);
    const e = await failure(bus.read(1, 'holding', 0, 2));
    // Mostly a CRC mismatch; a flipped unit or function byte can also end as garbage or a timeout.
    expect(['MODBUS_BAD_RESPONSE', 'MODBUS_TIMEOUT']).toContain(e.code);
    expect(sim.stats().units[1]!.corrupted).toBe(2);
    expect(bus.stats().badResponses + bus.stats().timeouts).toBe(2);
    sim.setCorruptCrc(1, 0);
    expect(await bus.read(1, 'holding', 0, 2)).toEqual([1234, 0xfffe]);
  });

  it('never takes a slow unit’s late answer for the next request', async () => {
    const { bus, sim } = await setup({ retries: 0, workarounds: { pauseAfterOpen: 0, guardTime: 150 } });
    sim.setSlow(1, 175); // answers 25 ms after the 150 ms timeout, well within the guard
    expect((await failure(bus.read(1, 'holding', 0, 1))).code).toBe('MODBUS_TIMEOUT');
    sim.setSlow(1, 0);
    // Same unit, function and length: only the guard keeps the late [1234] out of this answer.
    expect(await bus.read(1, 'holding', 1, 1)).toEqual([0xfffe]);
    expect(bus.stats().line.guards).toBe(1);
  });

  it('fails fast while the line is not open, and rejects impossible reads', async () => {
    const bus = new RtuBus({
      config: busConfig('/dev/nonexistent-tty'),
      clock: systemClock,
      log: silentLogger(),
    });
    cleanups.push(() => bus.stop());
    bus.start();
    const t0 = performance.now();
    expect((await failure(bus.read(1, 'holding', 0, 1))).code).toBe('MODBUS_DISCONNECTED');
    expect(performance.now() - t0).toBeLessThan(50);
    await expect(bus.read(0, 'holding', 0, 1)).rejects.toThrow(RangeError);
    await expect(bus.read(1, 'holding', 0, 126)).rejects.toThrow(RangeError);
  });
});

describe('serial line timing defaults', () => {
  it('derives the pause and guard from the character time', () => {
    const cfg = busConfig('/dev/x', { baudRate: 9600, parity: 'even' });
    expect(charTimeMs(cfg)).toBeCloseTo((11 * 1000) / 9600);
    const noGuard = { pauseAfterOpen: 0 };
    // Exactly 3.5 characters (4.01 ms), not rounded up to 5: SerialLine rounds only what remains to wait.
    const timing = lineTiming({ ...cfg, workarounds: noGuard });
    expect(timing).toMatchObject({ pauseAfterOpenMs: 0, guardTimeMs: 50 });
    expect(timing.pauseBetweenRequestsMs).toBeCloseTo(4.0104, 4);
    expect(lineTiming(busConfig('/dev/x', { baudRate: 300, workarounds: noGuard })).guardTimeMs).toBe(234);
    expect(lineTiming(busConfig('/dev/x', { timeout: 1000, workarounds: noGuard })).guardTimeMs).toBe(250);
    const tuned = busConfig('/dev/x', {
      workarounds: { pauseAfterOpen: 2000, pauseBetweenRequests: 0, guardTime: 80 },
    });
    expect(lineTiming(tuned)).toEqual({ pauseBetweenRequestsMs: 0, pauseAfterOpenMs: 2000, guardTimeMs: 80 });
  });
});

describe('RTU simulator control', () => {
  it('sets the corruption probability through the control API', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.stop());
    const sim = await startRtuSimulator({ map: MAP, path: pty.simPath });
    cleanups.push(() => sim.stop());
    const { createServer } = await import('node:http');
    const server = createServer(createControlHandler(sim));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => server.close(() => r(undefined))));
    const port = (server.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/units/2/corrupt-crc`, {
      method: 'POST',
      body: JSON.stringify({ probability: 0.25 }),
    });
    expect(res.status).toBe(200);
    expect(sim.stats().units[2]!.corruptCrc).toBe(0.25);
    const bad = await fetch(`http://127.0.0.1:${port}/units/2/corrupt-crc`, {
      method: 'POST',
      body: JSON.stringify({ probability: 2 }),
    });
    expect(bad.status).toBe(400);
  });
});
