/**
 * Issue 13: `npm run demo` must deliver readings upstream. Runs the built demo as the user does
 * (`node dist-tools/scripts/demo.js`), with its working directory in a temp dir so its `./data/demo.db`
 * never touches a user's file, and checks what the user would see: readings at the embedded broker
 * (3.1.1-only aedes, so this also proves the agent's MQTT 3.1.1 fallback), values in the view, the
 * status page answering, and a clean exit on Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../scripts/support/mosquitto.js';

const DEMO = fileURLToPath(new URL('../../dist-tools/scripts/demo.js', import.meta.url));
const STATION = '320700W001';

describe('npm run demo', () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  let client: MqttClient | undefined;

  afterEach(async () => {
    await client?.endAsync(true);
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    client = child = dir = undefined;
  });

  it('delivers readings to its embedded broker, shows them, serves the status page, stops cleanly on Ctrl-C', async () => {
    expect(existsSync(DEMO), `${DEMO} is missing: run "npm run build"`).toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'demo-it-'));
    const proc = spawn(process.execPath, [DEMO], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | string>((resolve) => {
      proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
    });

    // Startup (the simulator, broker, agent) takes a while on a loaded machine; delivery is what is timed.
    await until(() => /embedded MQTT broker \(3\.1\.1\): mqtt:\S+/.test(out), 30_000, 'the demo to start');
    const statusUrl = /status page: (http:\/\/\S+)/.exec(out)![1]!;
    const brokerUrl = /embedded MQTT broker \(3\.1\.1\): (mqtt:\S+)/.exec(out)![1]!;

    // Readings as a platform would see them, at the embedded broker (MQTT 3.1.1: aedes has no 5).
    const seqs = new Set<number>();
    const statuses: string[] = [];
    const stations = new Set<string>();
    client = connect(brokerUrl, { protocolVersion: 4, reconnectPeriod: 200 });
    client.on('error', () => {});
    client.on('message', (topic, payload) => {
      if (topic.endsWith('/status')) statuses.push(payload.toString());
      if (!topic.endsWith('/readings')) return;
      const batch = JSON.parse(payload.toString()) as { station: string; readings: { seq: number }[] };
      stations.add(batch.station);
      for (const r of batch.readings) seqs.add(r.seq);
    });
    await new Promise<void>((resolve) => client!.once('connect', () => resolve()));
    await client.subscribeAsync(`stations/${STATION}/#`, { qos: 1 });
    await until(
      () => seqs.size >= 10,
      15_000,
      () => `readings at the broker (got ${seqs.size})\n${out}`,
    );
    expect(statuses).toContain('online');
    expect([...stations]).toEqual([STATION]);

    // The view shows the uplink connected and values arriving (piped: successive plain frames).
    await until(
      () => /^nutrient\s+cod\s+-?\d+(\.\d+)? mg\/L\s+N\s/m.test(out) && /uplink center: connected/.test(out),
      15_000,
      () => `values in the view\n${out.slice(-2000)}`,
    );
    expect(out).toMatch(/^sonde\s+temp\s+-?\d+(\.\d+)? °C/m);
    // Times as the station's wall clock (Asia/Shanghai), like the status page, not UTC ISO strings.
    expect(out).toContain('time (Asia/Shanghai)');
    expect(out).toMatch(/^sonde\s+temp\s+.*\s+N\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(out).toMatch(/upstream: \d+\.\d readings\/s, [1-9]\d* received/);
    // The fallback to MQTT 3.1.1 is said once, with aedes's answer.
    expect(out.match(/the broker refused MQTT 5; connecting with MQTT 3\.1\.1/g)).toHaveLength(1);
    expect(out).toContain('unacceptable protocol version (CONNACK 1)');

    // The status page and its API answer, showing the uplink connected with no error.
    const page = await fetch(statusUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>station-agent</title>');
    const api = (await (await fetch(new URL('/api/status', statusUrl))).json()) as {
      station: { id: string };
      uplinks: { id: string; connected: boolean; lastError: unknown }[];
    };
    expect(api.station.id).toBe(STATION);
    expect(api.uplinks).toEqual([
      expect.objectContaining({ id: 'center', connected: true, lastError: null }),
    ]);

    // Its database is under the working directory, not the repository's ./data.
    expect(existsSync(join(dir, 'data', 'demo.db'))).toBe(true);

    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped cleanly.');
    const all = out + err;
    expect(all).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(err).toBe('');
  });
});
