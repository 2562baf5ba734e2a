/**
 * Issue 16, end to end with real processes: an emulated RS-485 line (rs485Bus, 3 ends), the built
 * Modbus simulator answering on one end, an independent master (rtuMasterMain, modbus-serial)
 * polling it every second on another, and the BUILT agent listening on the third with a
 * `serial-listen` bus, forwarding to a real mosquitto. The agent must forward exactly what the
 * master read, write zero bytes, report the device link-lost (MQTT event, /api/status) while the
 * master is stopped without inventing readings, and resume. Then `scan --listen` and
 * `read --listen` run as child processes against such a line. Every wait has a deadline; no
 * assertion is about timing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as mqttConnect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { OperationsStatus } from '../../agent/http/statusReport.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { startMosquitto } from '../../scripts/support/mosquitto.js';
import { assertSocat } from '../../scripts/support/pty.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';
import { type Rs485Bus, startRs485Bus } from '../../scripts/tools/rs485Bus.js';
import { startSimulatorProcess } from '../helpers/simulatorProcess.js';

const STATION = '320700L001';
const BAUD = 9600;
const DEADLINE = 60_000;
const MASTER_CLI = fileURLToPath(new URL('../../dist-tools/scripts/tools/rtuMasterMain.js', import.meta.url));

const MAP = {
  name: 'analyzer',
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

const DEVICE = {
  id: 'analyzer',
  bus: 'logger-line',
  unit: 5,
  interval: '1s',
  channels: [
    { id: 'cod', code: 'w01018', unit: 'mg/L', register: { table: 'holding', address: 0, type: 'float32' } },
    { id: 'ticks', register: { table: 'holding', address: 2, type: 'uint16' } },
  ],
};

interface MasterRead {
  seq: number;
  at: number;
  words?: number[];
  error?: string;
}

interface Reading {
  seq: number;
  ts: string;
  device: string;
  channel: string;
  value: number | null;
  flag: string;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The line, the simulator on its `sim` end; the map file lives in `dir`. */
async function line(dir: string, third: string): Promise<Rs485Bus> {
  assertSocat();
  const bus = await startRs485Bus({ ends: ['sim', 'logger', third] });
  cleanups.push(() => bus.stop());
  const mapPath = join(dir, 'map.yaml');
  writeYaml(mapPath, MAP);
  const sim = await startSimulatorProcess([
    '--map',
    mapPath,
    '--serial',
    bus.path('sim'),
    '--baud',
    String(BAUD),
  ]);
  cleanups.push(() => sim.stop());
  return bus;
}

/** The other master as its own process; its reads (JSON lines) are collected. */
async function startMaster(path: string) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      MASTER_CLI,
      '--serial',
      path,
      '--baud',
      String(BAUD),
      '--unit',
      '5',
      '--address',
      '0',
      '--count',
      '4',
      '--every',
      '1000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const reads: MasterRead[] = [];
  let ready = false;
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    rest += d.toString();
    const lines = rest.split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      const msg = JSON.parse(l) as MasterRead & { ready?: string };
      if (msg.ready) ready = true;
      else reads.push(msg);
    }
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  cleanups.push(stop);
  await waitFor(() => ready, DEADLINE, 'the master to open its end');
  return { reads, stop, words: () => reads.flatMap((r) => (r.words ? [r.words] : [])) };
}

function runCli(args: string[]): Promise<{ code: number | string; out: string; err: string }> {
  const child = runAgentCli(args);
  cleanups.push(() => {
    if (child.child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let err = '';
  child.child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return child.exited.then((code) => ({ code, out, err }));
}

describe('the agent listening on a line another master polls', () => {
  it('forwards what the master read, writes nothing, reports link-lost while it is stopped, and resumes', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    const bus = await line(tmp.dir, 'agent');

    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const readings: Reading[] = [];
    const events: { id: number; kind: string; [k: string]: unknown }[] = [];
    const client = mqttConnect(broker.url, { clientId: `it-listen-${process.pid}`, reconnectPeriod: 100 });
    client.on('error', () => {});
    client.on('message', (topic, message) => {
      const payload = JSON.parse(message.toString()) as { readings?: Reading[]; events?: typeof events };
      if (topic.endsWith('/readings'))
        for (const r of payload.readings ?? []) if (!readings.some((x) => x.seq === r.seq)) readings.push(r);
      if (topic.endsWith('/events'))
        for (const e of payload.events ?? []) if (!events.some((x) => x.id === e.id)) events.push(e);
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () =>
        client.subscribe([`stations/${STATION}/readings`, `stations/${STATION}/events`], { qos: 1 }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    });
    cleanups.push(() => client.endAsync(true));

    const httpPort = await freePort();
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: STATION },
      storage: { path: tmp.dbPath },
      buses: [
        {
          id: 'logger-line',
          type: 'serial-listen',
          port: bus.path('agent'),
          baudRate: BAUD,
          reconnect: { min: '200ms', max: '1s' },
        },
      ],
      devices: [DEVICE],
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: broker.url,
          batch: { maxReadings: 50, maxDelay: '200ms' },
          reconnect: { min: '200ms', max: '1s' },
        },
      ],
      http: { listen: `127.0.0.1:${httpPort}` },
    });
    const agent: AgentProcess = runAgentCli(['run', '--config', tmp.configPath]);
    cleanups.push(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    });
    const status = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/status`);
        return res.ok
          ? ((await res.json()) as OperationsStatus).devices.find((d) => d.id === 'analyzer')
          : undefined;
      } catch {
        return undefined;
      }
    };
    await waitFor(async () => (await status()) !== undefined, DEADLINE, 'the agent status page');

    let master = await startMaster(bus.path('logger'));
    const ticks = () => readings.filter((r) => r.channel === 'ticks');
    await waitFor(
      () => ticks().length >= 5,
      DEADLINE,
      `five readings on MQTT (agent output: ${agent.output().slice(-2000)})`,
    );

    // Each forwarded value is one the master read: ticks count up, so each names the master's read.
    const masterIndex = (v: number | null) => master.words().findIndex((w) => w[2] === v);
    await waitFor(
      () => ticks().every((r) => masterIndex(r.value) >= 0),
      10_000,
      'the master to print its reads',
    );
    const matched = ticks().map((r) => masterIndex(r.value));
    expect(matched.every((i) => i >= 0)).toBe(true);
    expect([...matched].sort((a, b) => a - b)).toEqual(matched);
    for (const r of readings.filter((x) => x.channel === 'cod'))
      expect(r).toMatchObject({ value: 23.5, flag: 'N', device: 'analyzer' });
    expect(ticks().every((r) => r.flag === 'N')).toBe(true);
    const seqs = readings.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((await status())?.link).toBe('ok');

    // The master stops: link-lost on MQTT and on the status page, and nothing invented meanwhile.
    await master.stop();
    const lastHeard = Math.max(...master.reads.map((r) => r.at));
    await waitFor(
      () => events.some((e) => e.kind === 'link-lost' && e.device === 'analyzer'),
      DEADLINE,
      'link-lost on MQTT',
    );
    expect(events.find((e) => e.kind === 'link-lost')).toMatchObject({
      bus: 'logger-line',
      device: 'analyzer',
      code: 'LISTEN_SILENT',
    });
    const lost = await status();
    expect(lost).toMatchObject({ link: 'link-lost', lastErrors: ['LISTEN_SILENT'] });
    const countAtLoss = readings.length;

    master = await startMaster(bus.path('logger'));
    await waitFor(
      () => events.some((e) => e.kind === 'link-restored' && e.device === 'analyzer'),
      DEADLINE,
      'link-restored on MQTT',
    );
    await waitFor(
      () => ticks().some((r) => Date.parse(r.ts) > lastHeard && masterIndex(r.value) >= 0),
      DEADLINE,
      'readings again',
    );
    const firstNew = Math.min(...master.reads.map((r) => r.at));
    // Between the last answer before the stop and the first after it, no reading at all.
    expect(
      readings.filter((r) => Date.parse(r.ts) > lastHeard + 1000 && Date.parse(r.ts) < firstNew - 1000),
    ).toEqual([]);
    expect(readings.length).toBeGreaterThan(countAtLoss);
    await waitFor(async () => (await status())?.link === 'ok', DEADLINE, 'the status page ok again');
    expect(bus.written('agent')).toBe(0);
    expect(bus.written('logger')).toBeGreaterThan(0);
    expect(bus.written('sim')).toBeGreaterThan(0);
  }, 240_000);

  it('scan --listen prints the line census and read --listen what passes for the device, sending nothing', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    const bus = await line(tmp.dir, 'tech');
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: STATION },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'logger-line', type: 'serial-listen', port: bus.path('tech'), baudRate: BAUD }],
      devices: [DEVICE],
    });
    const master = await startMaster(bus.path('logger'));
    await waitFor(() => master.words().length >= 1, DEADLINE, 'the master reading');

    const scan = await runCli([
      'scan',
      '--port',
      bus.path('tech'),
      '--baud',
      String(BAUD),
      '--listen',
      '--seconds',
      '4',
    ]);
    expect(scan.err).toMatch(/sending nothing/);
    expect(scan.out).toMatch(/unit\(s\) polled \(5\)/);
    expect(scan.out).toMatch(/read holding/);
    expect(scan.out).toMatch(/0-3/);
    expect(scan.code).toBe(0);

    const read = await runCli([
      'read',
      '--config',
      tmp.configPath,
      '--device',
      'analyzer',
      '--listen',
      '--seconds',
      '4',
    ]);
    expect(read.code).toBe(0);
    expect(read.out).toMatch(/analyzer: unit 5 heard on /);
    // The table read shows: raw words in hex and the decoded value with its flag.
    expect(read.out).toMatch(/cod\s+w01018\s+holding:0 float32 ABCD\s+0x41BC 0x0000\s+23\.5\s+mg\/L\s+N/);
    const heardTicks = [...read.out.matchAll(/ticks\s+holding:2 uint16\s+0x[0-9A-F]{4}\s+(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(heardTicks.length).toBeGreaterThan(0);
    for (const t of heardTicks) expect(master.words().some((w) => w[2] === t)).toBe(true);
    expect(bus.written('tech')).toBe(0);
  }, 180_000);
});
