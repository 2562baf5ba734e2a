/**
 * Issue 8, item 6 end to end with the built agent: configuration changes land in the hash-chained
 * audit log (start, `station-agent reload` as cli, a bare SIGHUP as reload), `audit show` lists them
 * with the changed settings and no secret, `audit verify` passes, and a row edited in the database
 * file is named by `audit verify`. Then: every batch published to a real mosquitto carries the
 * running config's hash (`cfg`) and the store's db_id (`db`).
 * Every wait has a deadline; nothing asserts how long something took.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import Database from 'better-sqlite3';
import { connect as mqttConnect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { startMosquitto } from '../../scripts/support/mosquitto.js';
import { DEMO_MAP, nutrientDevice, tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const FIRST_PASSWORD = 'first-mqtt-password-31';
const SECOND_PASSWORD = 'second-mqtt-password-47';
const STATION = '320700W011';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function station(brokerUrl?: string) {
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const simPort = await freePort();
  const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
  cleanups.push(() => sim.stop());
  // Without a broker: nothing listens on this port, the uplink just keeps its backlog.
  const url = brokerUrl ?? `mqtt://127.0.0.1:${await freePort()}`;
  const httpPort = await freePort();
  const config = (opts: { interval: string; password: string }) => ({
    version: 1,
    station: { id: STATION, name: 'audit', timezone: 'Asia/Shanghai' },
    storage: { path: tmp.dbPath },
    log: { level: 'info' },
    http: { listen: `127.0.0.1:${httpPort}` },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
    devices: [nutrientDevice('lan', opts.interval)],
    uplinks: [
      {
        id: 'center',
        type: 'mqtt',
        url,
        topicPrefix: 'audit-it',
        username: 'station',
        password: opts.password,
        batch: { maxDelay: '100ms' },
        reconnect: { min: '200ms', max: '1s' },
      },
    ],
  });
  return { ...tmp, config };
}

function startAgent(configPath: string): AgentProcess {
  const agent = runAgentCli(['run', '--config', configPath]);
  cleanups.push(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
  });
  return agent;
}

async function cli(args: string[]) {
  const p = runAgentCli(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

/** The audit rows as stored (read-only, beside the running agent); [] before the table exists. */
function auditRows(dbPath: string): { id: number; source: string; actor: string | null }[] {
  if (!existsSync(dbPath)) return [];
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'").get();
    if (table === undefined) return [];
    return db.prepare('SELECT id, source, actor FROM audit_log ORDER BY id').all() as {
      id: number;
      source: string;
      actor: string | null;
    }[];
  } finally {
    db.close();
  }
}

function lastHash(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1').pluck().get() as string;
  } finally {
    db.close();
  }
}

const sha256 = (path: string) =>
  createHash('sha256').update(readFileSync(path, 'utf8'), 'utf8').digest('hex');

describe('configuration audit log', () => {
  it('records start, cli reload and SIGHUP; show lists them; verify names an edited row', async () => {
    const st = await station();
    writeYaml(st.configPath, st.config({ interval: '500ms', password: FIRST_PASSWORD }));
    const agent = startAgent(st.configPath);
    await waitFor(() => auditRows(st.dbPath).length === 1, 20_000, 'the start entry');

    // `station-agent reload` leaves a marker, so the agent audits it as 'cli' with the user.
    writeYaml(st.configPath, st.config({ interval: '700ms', password: SECOND_PASSWORD }));
    const reload = await cli(['reload', '--config', st.configPath]);
    expect(reload.code).toBe(0);
    await waitFor(() => auditRows(st.dbPath).length === 2, 20_000, 'the cli reload entry');

    // A bare SIGHUP (kill -HUP, systemctl reload) is a 'reload'.
    writeYaml(st.configPath, st.config({ interval: '900ms', password: SECOND_PASSWORD }));
    agent.kill('SIGHUP');
    await waitFor(() => auditRows(st.dbPath).length === 3, 20_000, 'the SIGHUP reload entry');
    // The same file again changes nothing, so it adds no entry (checked after the stop below).
    agent.kill('SIGHUP');
    await waitFor(
      // One start, the cli reload, two SIGHUPs: the fourth agent built from the file has started.
      () => (agent.output().match(/station agent starting/g) ?? []).length >= 4,
      20_000,
      'the agent of the second SIGHUP',
    );

    // The head is an anchor a platform can hold: `status` shows it.
    const status = await cli(['status', '--config', st.configPath]);
    expect(status.code).toBe(0);
    expect(status.out).toContain(`audit log: last row 3, hash ${lastHash(st.dbPath)}`);

    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(auditRows(st.dbPath)).toEqual([
      { id: 1, source: 'start', actor: null },
      { id: 2, source: 'cli', actor: process.env.SUDO_USER ?? userInfo().username },
      { id: 3, source: 'reload', actor: null },
    ]);

    const show = await cli(['audit', 'show', '--config', st.configPath]);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/^1\s.*\sstart\s/m);
    expect(show.out).toMatch(/^2\s.*\scli\s/m);
    expect(show.out).toContain('devices[0].interval: 500 → 700');
    expect(show.out).toContain('uplinks[0].password: "[redacted]" → "[redacted]"');
    expect(show.out).toContain('devices[0].interval: 700 → 900');
    const json = await cli(['audit', 'show', '--config', st.configPath, '--json', '--limit', '2']);
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.out) as { id: number; afterHash: string; changes: unknown[] }[];
    expect(entries.map((e) => e.id)).toEqual([2, 3]);
    expect(entries[1]!.afterHash).toBe(sha256(st.configPath));
    for (const out of [show.out, json.out]) {
      expect(out).not.toContain(FIRST_PASSWORD);
      expect(out).not.toContain(SECOND_PASSWORD);
    }

    const intact = await cli(['audit', 'verify', '--config', st.configPath]);
    expect(intact.code).toBe(0);
    expect(intact.out).toContain('audit log intact: 3 entries');

    // An inspector's worst case: someone edits row 1 in the database file.
    const db = new Database(st.dbPath);
    db.prepare("UPDATE audit_log SET changes = '[]', ts = ts + 1 WHERE id = 1").run();
    db.close();
    const broken = await cli(['audit', 'verify', '--db', st.dbPath]);
    expect(broken.code).toBe(3);
    expect(broken.out).toContain('audit log BROKEN at row 1:');
  });

  it('stamps every batch with the running config hash and the store db_id', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    const st = await station(broker.url);
    writeYaml(st.configPath, st.config({ interval: '500ms', password: FIRST_PASSWORD }));

    const sub = mqttConnect(broker.url, { clientId: 'audit-it-sub', reconnectPeriod: 0 });
    cleanups.push(() => {
      sub.end(true);
    });
    const batches: { cfg?: string; db?: string; seqFrom: number }[] = [];
    sub.on('message', (_topic, payload) => batches.push(JSON.parse(payload.toString())));
    await new Promise<void>((resolve, reject) => {
      sub.once('connect', () => resolve());
      sub.once('error', reject);
    });
    await sub.subscribeAsync(`audit-it/${STATION}/readings`, { qos: 1 });

    const agent = startAgent(st.configPath);
    await waitFor(() => batches.length >= 2, 20_000, 'two readings batches');
    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);

    const db = new Database(st.dbPath, { readonly: true });
    const dbId = db.prepare("SELECT value FROM store_meta WHERE key = 'db_id'").pluck().get();
    const afterHash = db.prepare('SELECT after_hash FROM audit_log ORDER BY id DESC LIMIT 1').pluck().get();
    db.close();
    const cfg = sha256(st.configPath);
    expect(afterHash).toBe(cfg);
    for (const b of batches) expect({ cfg: b.cfg, db: b.db }).toEqual({ cfg, db: dbId });
  });
});
