/**
 * Issue 16's test line: the RS-485 bus tool joins three ptys into one emulated multi-drop line; the
 * RTU simulator answers on one end, an independent master (modbus-serial, standing in for the
 * station's certified logger) polls it every second from another, and the passive listener hears
 * everything on the third. The listener must report exactly the register words the master read,
 * write nothing (counted at the bus), call the device silent when the master stops, and resume.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import type { PollSourceEvent } from '../../drivers/modbus/listen/listenPollSource.js';
import { openListenPort } from '../../drivers/modbus/listen/listenPort.js';
import { RtuListener } from '../../drivers/modbus/listen/rtuListener.js';
import { startRtuSimulator } from '../../scripts/simulator/rtuServer.js';
import type { SimulatorMapInput } from '../../scripts/simulator/simulatorConfig.js';
import { waitFor } from '../../scripts/support/agentProcess.js';
import { assertSocat } from '../../scripts/support/pty.js';
import { type Rs485Bus, startRs485Bus } from '../../scripts/tools/rs485Bus.js';

const ModbusRTU = ModbusSerial as unknown as new () => ModbusClient;
const BAUD = 19200;

const MAP: SimulatorMapInput = {
  units: [
    {
      unit: 5,
      name: 'analyzer',
      points: [
        {
          name: 'cod',
          table: 'holding',
          address: 0,
          type: 'float32',
          generator: { kind: 'constant', value: 23.5 },
        },
        {
          name: 'ticks',
          table: 'holding',
          address: 2,
          type: 'uint16',
          generator: { kind: 'counter', ratePerSecond: 50 },
        },
      ],
    },
  ],
};

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startBus(): Promise<Rs485Bus> {
  assertSocat();
  const bus = await startRs485Bus({ ends: ['sim', 'logger', 'agent'] });
  cleanups.push(() => bus.stop());
  return bus;
}

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: BAUD }, (err) => (err ? reject(err) : resolve(port)));
    cleanups.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
  });
}

/** The other master: reads holding 0..3 of unit 5 every `everyMs` until stopped; keeps what it read. */
async function startLogger(path: string, everyMs: number) {
  const client = new ModbusRTU();
  await client.connectRTUBuffered(path, { baudRate: BAUD });
  client.setID(5);
  client.setTimeout(400);
  const reads: number[][] = [];
  let running = true;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      try {
        const { data } = await client.readHoldingRegisters(0, 4);
        reads.push([...data]);
      } catch {
        failures++;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    running = false;
    stopping ??= loop.then(() => new Promise<void>((r) => (client.isOpen ? client.close(() => r()) : r())));
    return stopping;
  };
  cleanups.push(stop);
  return { reads, stop, failures: () => failures };
}

/**
 * Every words the listener reported are words the master read. The listener may hear an answer a
 * moment before the master's promise resolves, so the master gets a few seconds to catch up.
 */
async function expectReadByMaster(heard: number[][], masterReads: number[][]): Promise<void> {
  const key = (w: number[]) => w.join(',');
  const allRead = () => heard.every((h) => masterReads.some((r) => key(r) === key(h)));
  await waitFor(allRead, 5000, 'the master to read what the listener heard').catch(() => {});
  expect(heard.filter((h) => !masterReads.some((r) => key(r) === key(h)))).toEqual([]);
}

describe('rs485 bus tool', () => {
  it('delivers every byte one end writes to all the others, counts it, and injects noise', async () => {
    const bus = await startBus();
    const [a, b, c] = await Promise.all(['sim', 'logger', 'agent'].map((n) => openPort(bus.path(n))));
    const seen = { b: [] as Buffer[], c: [] as Buffer[], a: [] as Buffer[] };
    b!.on('data', (d: Buffer) => seen.b.push(d));
    c!.on('data', (d: Buffer) => seen.c.push(d));
    a!.on('data', (d: Buffer) => seen.a.push(d));
    a!.write(Buffer.from([1, 2, 3, 4, 5]));
    await waitFor(
      () => Buffer.concat(seen.b).length === 5 && Buffer.concat(seen.c).length === 5,
      10_000,
      'bytes on b and c',
    );
    expect(Buffer.concat(seen.b)).toEqual(Buffer.from([1, 2, 3, 4, 5]));
    expect(Buffer.concat(seen.a)).toHaveLength(0);
    expect([bus.written('sim'), bus.written('logger'), bus.written('agent')]).toEqual([5, 0, 0]);
    bus.inject(Buffer.from([0xaa, 0xbb]));
    await waitFor(() => Buffer.concat(seen.a).length === 2, 10_000, 'injected bytes on a');
    expect(bus.written('sim')).toBe(5);
  });
});

describe('passive listener on an emulated RS-485 line', () => {
  it('reports the words the other master read, writes nothing, goes silent when it stops and resumes', async () => {
    const bus = await startBus();
    const sim = await startRtuSimulator({ map: MAP, path: bus.path('sim'), baudRate: BAUD, seed: 2 });
    cleanups.push(() => sim.stop());

    const events: PollSourceEvent[] = [];
    const port = await openListenPort({ path: bus.path('agent'), baudRate: BAUD });
    const listener = new RtuListener({
      port,
      clock: {
        now: () => Date.now(),
        setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
        clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout),
      },
      baudRate: BAUD,
      devices: [{ id: 'analyzer', unit: 5, needs: [{ table: 'holding', address: 0, count: 4 }] }],
      silentAfterIntervals: 3,
      onEvent: (e) => events.push(e),
    });
    listener.start();
    cleanups.push(() => listener.stop());

    const samples = () => events.flatMap((e) => (e.kind === 'sample' ? [e.blocks[0]!.words!] : []));
    let logger = await startLogger(bus.path('logger'), 1000);
    await waitFor(() => samples().length >= 4, 60_000, 'four samples heard');
    // Every sample is a read the master made (the counter register makes each poll different).
    await expectReadByMaster(samples(), logger.reads);
    expect(new Set(samples().map((s) => s.join(','))).size).toBeGreaterThan(1);
    expect(bus.written('agent')).toBe(0);
    expect(bus.written('logger')).toBeGreaterThan(0);

    await logger.stop();
    await waitFor(() => events.some((e) => e.kind === 'silent'), 60_000, 'device reported silent');
    const silentAt = events.findIndex((e) => e.kind === 'silent');
    expect(events[silentAt]).toMatchObject({ device: 'analyzer' });
    const before = samples().length;

    logger = await startLogger(bus.path('logger'), 1000);
    await waitFor(
      () => events.slice(silentAt).some((e) => e.kind === 'resumed') && samples().length >= before + 2,
      60_000,
      'resumed',
    );
    await expectReadByMaster(samples().slice(before), logger.reads);
    expect(bus.written('agent')).toBe(0);
    expect(listener.pairer.stats.reads).toBeGreaterThanOrEqual(6);
  });

  it('reports nothing wrong through noise, truncated answers and collisions on the line', async () => {
    const bus = await startBus();
    const sim = await startRtuSimulator({ map: MAP, path: bus.path('sim'), baudRate: BAUD, seed: 2 });
    cleanups.push(() => sim.stop());
    const blocks: number[][] = [];
    const port = await openListenPort({ path: bus.path('agent'), baudRate: BAUD });
    const listener = new RtuListener({
      port,
      clock: {
        now: () => Date.now(),
        setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
        clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout),
      },
      baudRate: BAUD,
      devices: [{ id: 'analyzer', unit: 5, needs: [{ table: 'holding', address: 0, count: 4 }] }],
      onEvent: (e) => {
        if (e.kind === 'block') blocks.push(e.block.words!);
      },
    });
    listener.start();
    cleanups.push(() => listener.stop());
    const logger = await startLogger(bus.path('logger'), 300);

    for (let round = 0; round < 6; round++) {
      bus.inject(Buffer.from([0x05, 0x03, 0x08, 0x41, 0xbc]));
      await new Promise((r) => setTimeout(r, 350));
      bus.truncateNext('sim', 6);
      await new Promise((r) => setTimeout(r, 350));
      // Another master's request for the same unit and size lands on top of the simulator's answer.
      bus.collideNext('sim', Buffer.from([0x05, 0x03, 0x00, 0x10, 0x00, 0x04, 0x45, 0x88]));
      await new Promise((r) => setTimeout(r, 350));
    }
    await waitFor(() => blocks.length >= 3, 60_000, 'some clean reads between the faults');
    await logger.stop();
    await expectReadByMaster(blocks, logger.reads);
    expect(listener.framer.stats.garbageBytes).toBeGreaterThan(0);
    expect(bus.written('agent')).toBe(0);
  });
});

describe('rs485 bus CLI (node dist-tools/scripts/tools/rs485BusMain.js)', () => {
  const CLI = fileURLToPath(new URL('../../dist-tools/scripts/tools/rs485BusMain.js', import.meta.url));

  it('prints its ends, joins them, and on SIGTERM prints the bytes each end wrote', async () => {
    assertSocat();
    const child = spawn(process.execPath, [CLI, '--ends', 'sim,agent'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await waitFor(() => /^rs485 bus ready \(2 ends\)$/m.test(out), 30_000, 'the ready line');
    const paths = Object.fromEntries([...out.matchAll(/^end (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(paths)).toEqual(['sim', 'agent']);
    const [sim, agent] = await Promise.all([openPort(paths.sim!), openPort(paths.agent!)]);
    const heard: Buffer[] = [];
    agent!.on('data', (d: Buffer) => heard.push(d));
    sim!.write(Buffer.from('hello'));
    await waitFor(() => Buffer.concat(heard).toString() === 'hello', 10_000, 'hello on the agent end');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^written sim 5$/m);
    expect(out).toMatch(/^written agent 0$/m);
  });

  it('refuses a line of one end with a clear message and exit code 2', () => {
    const r = spawnSync(process.execPath, [CLI, '--ends', 'alone'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('rs485-bus: an RS-485 line needs at least 2 ends');
  });
});

describe('listen census CLI (node dist-tools/scripts/tools/listenCensusMain.js)', () => {
  const CLI = fileURLToPath(new URL('../../dist-tools/scripts/tools/listenCensusMain.js', import.meta.url));

  it('prints the units, function codes and ranges another master polls, sending nothing', async () => {
    const bus = await startBus();
    const sim = await startRtuSimulator({ map: MAP, path: bus.path('sim'), baudRate: BAUD, seed: 2 });
    cleanups.push(() => sim.stop());
    const logger = await startLogger(bus.path('logger'), 300);
    const child = spawn(
      process.execPath,
      [CLI, '--serial', bus.path('agent'), '--baud', String(BAUD), '--seconds', '4'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    await logger.stop();
    expect(code, out).toBe(0);
    expect(out).toContain('(sending nothing)');
    expect(out).toContain('1 unit(s) polled (5)');
    expect(out).toMatch(/^5 +3 +read holding +0-3 +\d+\.\d +\d+\.\d +\d+ +-$/m);
    expect(out).toMatch(/^line: \d+ bytes, \d+ frames, 0 garbage bytes/m);
    expect(bus.written('agent')).toBe(0);
  });

  it('says which port it cannot open, exit code 2', () => {
    const r = spawnSync(process.execPath, [CLI, '--serial', '/nonexistent/tty', '--seconds', '1'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('listen-census: cannot open /nonexistent/tty');
  });
});
