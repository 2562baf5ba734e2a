import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type AgentError, isAgentError } from '../../../agent/core/errors.js';
import { createLogger } from '../../../agent/core/log.js';
import type { PollResult } from '../../../agent/core/pollOutcome.js';
import { createDevicePoller } from '../../../drivers/modbus/devicePoller.js';
import type { ListenPort } from '../../../drivers/modbus/listen/listenPort.js';
import { createListenDeviceSource, listenNeeds } from '../../../drivers/modbus/listenBus/listenDevice.js';
import { ListenLine } from '../../../drivers/modbus/listenBus/listenLine.js';
import type { ModbusDeviceSettings } from '../../../drivers/modbus/modbusSettings.js';
import type { RegisterTable } from '../../../drivers/modbus/registers.js';
import { FakeClock } from '../../helpers/fakeClock.js';
import { readRequest, registerAnswer } from '../../helpers/rtuTraffic.js';

const log = createLogger({ level: 'silent' });

/** A sonde: a float, a scaled int16, a status register with bits, as a profile would give. */
const device: ModbusDeviceSettings = {
  id: 'sonde',
  unit: 3,
  channels: [
    {
      id: 'ph',
      unit: 'pH',
      register: { table: 'holding', address: 0, type: 'float32', order: 'CDAB' },
      scale: 1,
      offset: 0,
    },
    {
      id: 'temp',
      unit: '°C',
      register: { table: 'holding', address: 4, type: 'int16' },
      scale: 0.1,
      offset: 0,
    },
  ],
  status: {
    register: { table: 'holding', address: 10, type: 'uint16' },
    flags: { 0: 'N', 1: 'M' },
    default: 'D',
  },
  workarounds: {},
} as unknown as ModbusDeviceSettings;

/** The registers of the analyzer, as the other master reads them in one request 0..11. */
const REGISTERS = [0x3333, 0x40e3, 0, 0, 0xff9c, 0, 0, 0, 0, 0, 1, 0];

/** A port the test feeds; like the real one, nothing to write with. */
function fakePort() {
  let onData: ((chunk: Buffer) => void) | undefined;
  let onClose: ((err?: Error) => void) | undefined;
  function on(event: 'data', listener: (chunk: Buffer) => void): void;
  function on(event: 'close', listener: (err?: Error) => void): void;
  function on(event: 'data' | 'close', listener: (arg: Buffer & Error) => void): void {
    if (event === 'data') onData = listener as (chunk: Buffer) => void;
    else onClose = listener as (err?: Error) => void;
  }
  const port: ListenPort = { on, close: async () => undefined };
  return { port, deliver: (b: Buffer) => onData?.(b), unplug: () => onClose?.(new Error('unplugged')) };
}

function line(clock: FakeClock, open: () => Promise<ListenPort>, intervalMs?: number) {
  return new ListenLine({
    settings: {
      id: 'logger-line',
      path: '/dev/null',
      baudRate: 9600,
      reconnect: { min: 500, max: 500 },
      answerTimeoutMs: 1000,
      intervalMs,
      silentAfterIntervals: 3,
    },
    clock,
    log,
    open,
  });
}

describe('a device on a listen bus', () => {
  it('needs one block per register item, whatever the poller would merge', () => {
    expect(listenNeeds(device).needs).toEqual([
      { table: 'holding', address: 0, count: 2 },
      { table: 'holding', address: 4, count: 1 },
      { table: 'holding', address: 10, count: 1 },
    ]);
  });

  it('decodes what passes exactly as a poll of the same registers, stamped when the answer passed', async () => {
    const clock = new FakeClock({ wall: Date.UTC(2026, 11, 7, 8, 0, 0) });
    const { port, deliver } = fakePort();
    const bus = line(clock, async () => port);
    const source = createListenDeviceSource(device, bus);
    const results: PollResult[] = [];
    source.start({
      result: (r) => {
        results.push(r);
      },
      linkLost: () => undefined,
      linkResumed: () => undefined,
    });
    bus.start();
    await clock.advance(10);
    deliver(readRequest(3, 3, 0, 12));
    await clock.advance(40);
    const answeredAt = clock.now();
    deliver(registerAnswer(3, 3, REGISTERS));
    await clock.advance(300);

    const reader = {
      read: async (_u: number, _t: RegisterTable, address: number, count: number) =>
        REGISTERS.slice(address, address + count),
    };
    const polled = await createDevicePoller({
      device,
      bus: reader,
      clock: new FakeClock({ wall: answeredAt }),
      log,
    }).poll();
    expect(results).toHaveLength(1);
    expect(results[0]).toEqual(polled);
    expect(results[0]!.readings.map((r) => [r.channel, r.value, r.flag, r.ts])).toEqual([
      ['ph', 7.1, 'M', answeredAt],
      ['temp', -10, 'M', answeredAt],
    ]);
    await source.stop();
    await bus.stop();
  });

  it('reports the link lost after 3 silent intervals, and back with the next answer; the port reopens', async () => {
    const clock = new FakeClock();
    const ports: ReturnType<typeof fakePort>[] = [];
    const bus = line(
      clock,
      async () => {
        const p = fakePort();
        ports.push(p);
        return p.port;
      },
      1000,
    );
    const source = createListenDeviceSource(device, bus);
    const seen: string[] = [];
    let lost: AgentError | undefined;
    source.start({
      result: () => {
        seen.push('result');
      },
      linkLost: (e) => {
        seen.push('lost');
        lost = e;
      },
      linkResumed: () => seen.push('resumed'),
    });
    bus.start();
    await clock.advance(10);
    const poll = async () => {
      ports.at(-1)!.deliver(readRequest(3, 3, 0, 12));
      await clock.advance(40);
      ports.at(-1)!.deliver(registerAnswer(3, 3, REGISTERS));
      await clock.advance(960);
    };
    await poll();
    // The adapter is unplugged: nothing is heard, the device goes silent, the port is reopened.
    ports.at(-1)!.unplug();
    expect(bus.isConnected()).toBe(false);
    await clock.advance(3500);
    expect(seen).toEqual(['result', 'lost']);
    expect(isAgentError(lost) && lost.code).toBe('LISTEN_SILENT');
    expect(lost!.context).toMatchObject({ device: 'sonde', bus: 'logger-line', unit: 3 });
    expect(ports).toHaveLength(2);
    expect(bus.isConnected()).toBe(true);
    await poll();
    expect(seen).toEqual(['result', 'lost', 'resumed', 'result']);
    expect(bus.stats()).toMatchObject({ transactions: 0, reconnects: 1 });
    await source.stop();
    await bus.stop();
  });
});

describe('drivers/modbus/listenBus', () => {
  it('never writes to a port either: it only holds the listener and its ListenPort', () => {
    const dir = fileURLToPath(new URL('../../../drivers/modbus/listenBus/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(readFileSync(dir + f, 'utf8')).not.toMatch(/\.(write|drain)\(|serialport/);
  });
});
