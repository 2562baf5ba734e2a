/**
 * Issue 8, TLS and credentials end to end: certificates made by the openssl CLI in the test, a real
 * mosquitto with a TLS listener (client certificates required) and a password file, the uplink
 * in-process for the TLS failure cases and the built agent at log level trace for the secrets.
 * Every wait has a deadline; nothing asserts how long something took.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigText } from '../../agent/config/load.js';
import type { MqttUplinkConfig } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { createLogger, silentLogger } from '../../agent/core/log.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { MqttUplink } from '../../agent/uplink/mqttUplink.js';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import {
  type MosquittoHandle,
  type MosquittoOptions,
  startMosquitto,
  until,
} from '../../scripts/support/mosquitto.js';
import { DEMO_MAP, nutrientDevice, tempStation } from '../../scripts/support/stationFixture.js';
import { makeTestPki, type TestPki } from '../helpers/tlsCerts.js';

const STATION = '320700W008';
const READINGS = `stations/${STATION}/readings`;
const USER = 'station-320700W008';
const PASSWORD = 'tls-test-password-never-logged-7f3a';
const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.remove());

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function broker(opts: MosquittoOptions = {}): Promise<MosquittoHandle> {
  const b = await startMosquitto({
    tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey, requireCertificate: true },
    ...opts,
  });
  cleanups.push(() => b.dispose());
  return b;
}

/** A TLS subscriber with the station CA and its own client certificate (the platform side). */
async function subscribe(b: MosquittoHandle, auth: { username?: string; password?: string } = {}) {
  const client: MqttClient = connect(b.url, {
    ca: readFileSync(pki.ca),
    cert: readFileSync(pki.clientCert),
    key: readFileSync(pki.clientKey),
    reconnectPeriod: 0,
    ...auth,
  });
  client.on('error', () => {});
  const seqs = new Set<number>();
  client.on('message', (_t, m) => {
    for (const r of (JSON.parse(m.toString()) as { readings: { seq: number }[] }).readings) seqs.add(r.seq);
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(READINGS, { qos: 1 });
  cleanups.push(() => client.endAsync(true));
  return seqs;
}

/** The uplink settings as the loader makes them from YAML in `dir` (so relative paths are resolved). */
function uplinkConfig(dir: string, uplink: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const text = stringify({
    version: 1,
    station: { id: STATION },
    storage: { path: join(dir, 'agent.db') },
    uplinks: [{ id: 'center', type: 'mqtt', reconnect: { min: '200ms', max: '1s' }, ...uplink }],
  });
  const r = loadConfigText(text, join(dir, 'station.yaml'), env);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config.uplinks[0] as MqttUplinkConfig;
}

/** The uplink in-process on a fresh store with 3 readings, logging JSON lines into `logs`. */
function uplinkWith(config: MqttUplinkConfig, dir: string, env: NodeJS.ProcessEnv = {}) {
  const logs: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const db = openDatabase({ path: join(dir, 'agent.db'), log: silentLogger() });
  const store = new ReadingStore({ db });
  for (let i = 0; i < 3; i++) {
    store.append([
      {
        ts: T0 + i * 1000,
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        value: 25 + i,
        unit: 'mg/L',
        flag: 'N',
      },
    ]);
  }
  const uplink = new MqttUplink({
    config,
    stationId: STATION,
    store,
    cursors: new Outbox({ db }),
    clock: systemClock,
    log,
    env,
  });
  uplink.start();
  cleanups.push(async () => {
    await uplink.stop();
    db.close();
  });
  return { uplink, logs };
}

const failures = (logs: Record<string, unknown>[], code: string) => logs.filter((l) => l.code === code);

function stationDir(): string {
  const st = tempStation();
  cleanups.push(() => st.remove());
  return st.dir;
}

describe('MQTT over TLS (in-process uplink)', () => {
  it('right CA + client certificate, given relative to the config file: readings delivered', async () => {
    const b = await broker();
    const seqs = await subscribe(b);
    const dir = stationDir();
    for (const f of [pki.ca, pki.clientCert, pki.clientKey]) copyFileSync(f, join(dir, f.split('/').pop()!));
    const config = uplinkConfig(dir, {
      url: b.url,
      tls: { ca: 'ca.crt', cert: 'station.crt', key: 'station.key' },
    });
    expect(config.tls?.ca).toBe(join(dir, 'ca.crt'));
    const { uplink, logs } = uplinkWith(config, dir);
    await until(() => seqs.size === 3, 15_000, 'readings 1..3 over TLS');
    expect(uplink.stats().connected).toBe(true);
    expect(logs.filter((l) => typeof l.code === 'string' && String(l.code).startsWith('UPLINK_'))).toEqual(
      [],
    );
  });

  it('wrong CA: refused with a clear error, retried, and delivered once the CA file is fixed', async () => {
    const b = await broker();
    const seqs = await subscribe(b);
    const dir = stationDir();
    const ca = join(dir, 'ca.pem');
    copyFileSync(pki.otherCa, ca);
    const config = uplinkConfig(dir, { url: b.url, tls: { ca, cert: pki.clientCert, key: pki.clientKey } });
    const { uplink, logs } = uplinkWith(config, dir);
    await until(() => failures(logs, 'UPLINK_TLS_FAILED').length > 0, 15_000, 'UPLINK_TLS_FAILED');
    expect(failures(logs, 'UPLINK_TLS_FAILED')[0]).toMatchObject({
      level: 50,
      msg: 'uplink TLS connection failed',
      reason: 'certificate signed by unknown authority — check tls.ca',
      uplink: 'center',
    });
    // It keeps trying (a repeated failure is logged at debug only), and nothing got through.
    await until(() => logs.filter((l) => l.msg === 'uplink disconnected').length >= 2, 15_000, 'a retry');
    const tlsFailures = failures(logs, 'UPLINK_TLS_FAILED');
    expect(tlsFailures.filter((l) => (l.level as number) > 20)).toHaveLength(1);
    expect(tlsFailures.slice(1).every((l) => l.level === 20)).toBe(true);
    expect(seqs.size).toBe(0);
    expect(uplink.stats().connected).toBe(false);
    // The files are read on every connect: the right CA is used at the next attempt.
    copyFileSync(pki.ca, ca);
    await until(() => seqs.size === 3, 15_000, 'readings after the CA file was fixed');
  });

  it('a certificate for another name (tls.servername) is refused clearly', async () => {
    const b = await broker();
    const dir = stationDir();
    const tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'broker.example.net' };
    const { uplink, logs } = uplinkWith(uplinkConfig(dir, { url: b.url, tls }), dir);
    await until(() => failures(logs, 'UPLINK_TLS_FAILED').length > 0, 15_000, 'UPLINK_TLS_FAILED');
    expect(failures(logs, 'UPLINK_TLS_FAILED')[0]).toMatchObject({
      reason: 'the broker certificate is not for "broker.example.net" — check the url host or tls.servername',
      errorCode: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(uplink.stats().connected).toBe(false);
  });

  it('without a client certificate the broker refuses the station, and the log says so', async () => {
    const b = await broker();
    const dir = stationDir();
    const { uplink, logs } = uplinkWith(uplinkConfig(dir, { url: b.url, tls: { ca: pki.ca } }), dir);
    await until(() => failures(logs, 'UPLINK_TLS_FAILED').length > 0, 15_000, 'UPLINK_TLS_FAILED');
    expect(String(failures(logs, 'UPLINK_TLS_FAILED')[0]?.reason)).toContain(
      'the broker refused the client certificate',
    );
    expect(uplink.stats().connected).toBe(false);
  });

  it('password from passwordEnv, read at every connect: wrong, unset, then right', async () => {
    const b = await broker({ users: { [USER]: PASSWORD } });
    const seqs = await subscribe(b, { username: USER, password: PASSWORD });
    const dir = stationDir();
    const wrong = 'not-the-password-1234';
    const env: NodeJS.ProcessEnv = { MQTT_PW: wrong };
    const tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    const config = uplinkConfig(dir, { url: b.url, tls, username: USER, passwordEnv: 'MQTT_PW' }, env);
    const { logs } = uplinkWith(config, dir, env);
    await until(() => failures(logs, 'UPLINK_AUTH_FAILED').length > 0, 15_000, 'UPLINK_AUTH_FAILED');
    expect(failures(logs, 'UPLINK_AUTH_FAILED')[0]).toMatchObject({
      msg: 'uplink login refused by the broker',
    });

    delete env.MQTT_PW;
    await until(() => failures(logs, 'UPLINK_CREDENTIALS_UNREADABLE').length > 0, 15_000, 'unreadable');
    expect(failures(logs, 'UPLINK_CREDENTIALS_UNREADABLE')[0]).toMatchObject({
      problems: ['passwordEnv: the environment variable MQTT_PW is not set'],
    });

    env.MQTT_PW = PASSWORD;
    await until(() => seqs.size === 3, 15_000, 'readings once the right password is set');
    const text = JSON.stringify(logs);
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(PASSWORD);
  });
});

describe('the built agent with TLS and a password (log level trace)', () => {
  /** Runs the agent on the simulator until readings arrive over TLS; returns its whole output and status. */
  async function runAgent(credentials: Record<string, unknown>, env: NodeJS.ProcessEnv) {
    const b = await broker({ users: { [USER]: PASSWORD } });
    const seqs = await subscribe(b, { username: USER, password: PASSWORD });
    const st = tempStation();
    cleanups.push(() => st.remove());
    const simPort = await freePort();
    const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
    cleanups.push(() => sim.stop());
    const httpPort = await freePort();
    const tls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    writeFileSync(
      st.configPath,
      stringify({
        version: 1,
        station: { id: STATION },
        storage: { path: st.dbPath },
        log: { level: 'trace' },
        buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
        devices: [nutrientDevice('lan', '500ms')],
        uplinks: [{ id: 'center', type: 'mqtt', url: b.url, tls, username: USER, ...credentials }],
        http: { listen: `127.0.0.1:${httpPort}` },
      }),
    );
    const agent = runAgentCli(['run', '--config', st.configPath], env);
    cleanups.push(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    });
    await waitFor(() => seqs.size >= 4, 30_000, 'readings from the agent over TLS with a password');
    const status = await (await fetch(`http://127.0.0.1:${httpPort}/api/status`)).text();
    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    return { output: agent.output(), status };
  }

  /** The password, and the key in any form a log could carry it (PEM lines, base64 body). */
  function expectNoSecret(text: string): void {
    expect(text).not.toContain(PASSWORD);
    const key = readFileSync(pki.clientKey, 'utf8');
    const body = key.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
    for (const line of body) expect(text).not.toContain(line);
    expect(text).not.toContain(body.join(''));
  }

  it('passwordFile (trailing newline ignored): delivered; neither the password nor the key in the log', async () => {
    const dir = stationDir();
    const file = join(dir, 'mqtt-password');
    writeFileSync(file, `${PASSWORD}\n`, { mode: 0o600 });
    const { output, status } = await runAgent({ passwordFile: file }, {});
    expect(output).toContain('uplink connected');
    // Debug lines are there (the agent has no trace lines of its own): the check covers the chattiest log.
    expect(output).toContain('"level":20');
    expectNoSecret(output);
    expectNoSecret(status);
  });

  it('passwordEnv: delivered; neither the password nor the key in the log', async () => {
    const { output, status } = await runAgent(
      { passwordEnv: 'STATION_MQTT_PASSWORD' },
      { STATION_MQTT_PASSWORD: PASSWORD },
    );
    expect(output).toContain('uplink connected');
    expectNoSecret(output);
    expectNoSecret(status);
  });
});
