import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlServer, startControlServer } from '../../../scripts/simulator/control.js';
import {
  type SimulatorHandle,
  type SimulatorStats,
  startSimulator,
  type UnitStats,
} from '../../../scripts/simulator/modbusTcpServer.js';
import { freePort } from '../../../scripts/support/freePort.js';
import { closeClient, connectClient, type ModbusClient } from './modbusClient.js';

const DEMO = 'scripts/simulator/maps/demo-water.yaml';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function client(port: number, unit: number): Promise<ModbusClient> {
  const c = await connectClient(port, unit, 500);
  cleanups.push(() => closeClient(c));
  return c;
}

interface Reply {
  ok?: boolean;
  unit?: number;
  stats?: UnitStats;
  error?: string;
}

async function post(base: string, path: string, body: unknown): Promise<{ status: number; json: Reply }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Reply };
}

async function get<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

async function timedOut(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return false;
  } catch (err) {
    return /timed out/i.test((err as Error).message);
  }
}

describe('simulator control API (in process)', () => {
  let sim: SimulatorHandle;
  let control: ControlServer;
  let base: string;

  async function setup(): Promise<void> {
    sim = await startSimulator({ mapFile: DEMO, port: await freePort() });
    cleanups.push(() => sim.stop());
    control = await startControlServer(sim, { port: 0 });
    cleanups.push(() => control.close());
    base = `http://127.0.0.1:${control.port}`;
  }

  it('drives state, silence, slowness, exceptions and pinned values', async () => {
    await setup();
    const c = await client(sim.port, 7);

    expect(await post(base, '/units/7/state', { value: 2 })).toMatchObject({
      status: 200,
      json: { ok: true, unit: 7, stats: { state: 2 } },
    });
    expect((await c.readInputRegisters(32, 1)).data).toEqual([2]);

    expect((await post(base, '/units/7/exception', { code: 4 })).status).toBe(200);
    await expect(c.readInputRegisters(32, 1)).rejects.toMatchObject({ modbusCode: 4 });
    expect((await post(base, '/units/7/exception', { code: null })).status).toBe(200);

    expect((await post(base, '/units/7/slow', { ms: 200 })).json.stats?.slowMs).toBe(200);
    const t0 = performance.now();
    await c.readInputRegisters(32, 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(180);
    await post(base, '/units/7/slow', { ms: 0 });

    expect((await post(base, '/units/7/points/ph', { value: 8.01 })).status).toBe(200);
    expect((await c.readInputRegisters(16, 1)).data).toEqual([801]);
    const values = await get<Record<string, number>>(`${base}/units/7/values`);
    expect(values.ph).toBe(8.01);

    expect((await post(base, '/units/7/silent', { on: true })).status).toBe(200);
    expect(await timedOut(c.readInputRegisters(32, 1))).toBe(true);
    const stats = await get<SimulatorStats>(`${base}/stats`);
    expect(stats.units[7]).toMatchObject({ silent: true, dropped: 1, state: 2 });
    expect(stats.units[1]).toMatchObject({ requests: 0, silent: false });
  });

  it('answers 400 for bad bodies and 404 for unknown units, points and routes', async () => {
    await setup();
    expect(await post(base, '/units/7/state', { value: 'x' })).toMatchObject({ status: 400 });
    expect(await post(base, '/units/7/exception', { code: 0 })).toMatchObject({ status: 400 });
    expect(await post(base, '/units/7/silent', { on: true, extra: 1 })).toMatchObject({ status: 400 });
    const notJson = await fetch(`${base}/units/7/silent`, { method: 'POST', body: '{nope' });
    expect(notJson.status).toBe(400);
    expect(await post(base, '/units/9/state', { value: 1 })).toMatchObject({
      status: 404,
      json: { error: 'unknown unit 9 (units: 1, 7)' },
    });
    expect((await post(base, '/units/7/points/nope', { value: 1 })).status).toBe(404);
    expect((await post(base, '/reset', {})).status).toBe(404);
    expect((await fetch(`${base}/units/7/state`)).status).toBe(405);
    expect(sim.stats().units[7]).toMatchObject({ state: 0, silent: false, exception: null });
  });
});

/** Runs main.ts as its own process (node + tsx's loader: one process, so signals reach it). */
function startCli(args: string[]): { proc: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/simulator/main.ts', ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, out: () => text, exit };
}

async function waitFor(out: () => string, re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = out().match(re);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; output:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

describe('simulator CLI process', () => {
  it('serves the map, obeys the control API and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const cli = startCli(['--map', DEMO, '--port', String(port), '--control-port', '0']);
    cleanups.push(async () => {
      if (cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
    });
    await waitFor(
      cli.out,
      new RegExp(`^simulator listening on 127\\.0\\.0\\.1:${port} \\(units 1, 7\\)$`, 'm'),
    );
    const base = (await waitFor(cli.out, /^control api on (http:\/\/127\.0\.0\.1:\d+)$/m))[1]!;

    const c = await client(port, 7);
    expect((await c.readInputRegisters(32, 1)).data).toEqual([0]);
    expect((await post(base, '/units/7/silent', { on: true })).status).toBe(200);
    expect(await timedOut(c.readInputRegisters(0, 2))).toBe(true);
    c.setID(1);
    expect((await c.readInputRegisters(20, 1)).data).toEqual([0]);
    await post(base, '/units/1/state', { value: 3 });
    expect((await c.readInputRegisters(20, 1)).data).toEqual([3]);
    const stats = await get<SimulatorStats>(`${base}/stats`);
    expect(stats.units[7]).toMatchObject({ dropped: 1 });

    cli.proc.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    expect(await portIsFree(port)).toBe(true);
  });

  it('exits 1 with a readable message for a bad map or a port in use, and shows an example in --help', async () => {
    const bad = startCli([
      '--map',
      'scripts/simulator/maps/missing.yaml',
      '--port',
      String(await freePort()),
    ]);
    expect(await bad.exit).toBe(1);
    expect(bad.out()).toMatch(/^simulator: .*missing\.yaml/m);

    const busy = await startSimulator({ mapFile: DEMO, port: await freePort() });
    cleanups.push(() => busy.stop());
    const clash = startCli(['--map', DEMO, '--port', String(busy.port)]);
    expect(await clash.exit).toBe(1);
    expect(clash.out()).toMatch(/port already in use/);

    const help = startCli(['--help']);
    expect(await help.exit).toBe(0);
    expect(help.out()).toContain('Example:');
    expect(help.out()).toContain('--control-port');
  });
});
