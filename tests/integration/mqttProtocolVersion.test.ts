/**
 * Issue 13, `uplinks[].protocolVersion` against real brokers: aedes (MQTT 3.1.1 only, in-process) and
 * mosquitto (MQTT 5), with the built agent (`station-agent run`) and the Modbus simulator. For each
 * setting that can work: readings, the retained birth and `online`, a `ping` answered on reply/ping,
 * the will on a crash, and /api/status without an error. MQTT 5 against aedes must fail clearly: one
 * warning with the broker's answer, `lastError` in /api/status and `station-agent status`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type MqttUplinkConfig, uplinkSchema } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { MqttUplink } from '../../agent/uplink/mqttUplink.js';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { startMosquitto, until } from '../../scripts/support/mosquitto.js';
import {
  DEMO_MAP,
  nutrientDevice,
  sleep,
  tempStation,
  writeYaml,
} from '../../scripts/support/stationFixture.js';
import { type AedesHandle, startAedes } from '../helpers/aedes.js';

const STATION = '320700W013';
const T = (s: string) => `stations/${STATION}/${s}`;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Setting = 'auto' | 5 | '3.1.1';

interface Broker {
  url: string;
  /** The MQTT version an observer speaks to it. */
  observerVersion: 5 | 4;
}

async function aedesBroker(): Promise<Broker & { aedes: AedesHandle }> {
  const aedes = await startAedes();
  cleanups.push(() => aedes.stop());
  return { url: aedes.url, observerVersion: 4, aedes };
}

async function mosquittoBroker(): Promise<Broker> {
  const m = await startMosquitto();
  cleanups.push(() => m.dispose());
  return { url: m.url, observerVersion: 5 };
}

/** The built agent polling the simulator, one MQTT uplink with `protocolVersion`, its status server. */
async function runStation(brokerUrl: string, protocolVersion: Setting, logLevel = 'info') {
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const simPort = await freePort();
  const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
  cleanups.push(() => sim.stop());
  const httpPort = await freePort();
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: STATION, timezone: 'Asia/Shanghai' },
    storage: { path: tmp.dbPath },
    log: { level: logLevel },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
    devices: [nutrientDevice('lan', '500ms')],
    uplinks: [
      {
        id: 'center',
        type: 'mqtt',
        url: brokerUrl,
        protocolVersion,
        keepalive: '5s',
        batch: { maxReadings: 20, maxDelay: '200ms' },
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
  const logs = () =>
    agent
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { agent, logs, configPath: tmp.configPath, base: `http://127.0.0.1:${httpPort}` };
}

interface UplinkStatus {
  id: string;
  connected: boolean;
  lastError: { message: string; code: string | null; at: number } | null;
}

async function uplinkStatus(base: string): Promise<UplinkStatus | null> {
  try {
    const res = await fetch(`${base}/api/status`);
    if (!res.ok) return null;
    return ((await res.json()) as { uplinks: UplinkStatus[] }).uplinks[0] ?? null;
  } catch {
    return null; // not listening yet
  }
}

/** A platform-side client recording every message of the station, by topic. */
async function observe(broker: Broker) {
  const opts: IClientOptions = { protocolVersion: broker.observerVersion, reconnectPeriod: 200 };
  const client: MqttClient = connect(broker.url, opts);
  cleanups.push(() => client.endAsync(true));
  client.on('error', () => {});
  const messages: { topic: string; payload: string; correlation?: string }[] = [];
  client.on('message', (topic, payload, packet) => {
    const correlation = packet.properties?.correlationData?.toString();
    messages.push({ topic, payload: payload.toString(), ...(correlation ? { correlation } : {}) });
  });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync([`stations/${STATION}/#`, 'answers/#'], { qos: 1 });
  const on = (topic: string) => messages.filter((m) => m.topic === topic);
  return { client, messages, on };
}

/** Readings, birth, online, ping and the will, as a platform sees them; then /api/status has no error. */
async function expectWorkingStation(broker: Broker, setting: Setting, expectedProtocol: '5' | '3.1.1') {
  const obs = await observe(broker);
  const st = await runStation(broker.url, setting);

  await until(
    () => obs.on(T('readings')).length >= 2,
    30_000,
    () => `readings\n${st.agent.output()}`,
  );
  const batch = JSON.parse(obs.on(T('readings'))[0]!.payload) as { station: string; readings: unknown[] };
  expect(batch.station).toBe(STATION);
  expect(batch.readings.length).toBeGreaterThan(0);
  expect(obs.on(T('status')).map((m) => m.payload)).toContain('online');
  expect(JSON.parse(obs.on(T('birth'))[0]!.payload)).toMatchObject({
    v: 1,
    station: STATION,
    uplink: { id: 'center', connected: true },
  });
  const connected = st.logs().find((l) => l.msg === 'uplink connected');
  expect(connected).toMatchObject({ protocol: expectedProtocol });

  // Retained: a late subscriber gets birth and online at once.
  const late = await observe(broker);
  await until(
    () => late.on(T('birth')).length > 0 && late.on(T('status')).some((m) => m.payload === 'online'),
    10_000,
    'retained birth and online',
  );

  // ping, with an MQTT 5 response topic where the observer can send one: used only under MQTT 5.
  const properties =
    broker.observerVersion === 5
      ? { responseTopic: 'answers/me', correlationData: Buffer.from('corr-13') }
      : undefined;
  await obs.client.publishAsync(T('cmd/ping'), JSON.stringify({ id: 'p13' }), {
    qos: 1,
    ...(properties ? { properties } : {}),
  });
  await until(
    () => obs.on(T('reply/ping')).some((m) => (JSON.parse(m.payload) as { id: unknown }).id === 'p13'),
    10_000,
    'the ping reply on reply/ping',
  );
  expect(JSON.parse(obs.on(T('reply/ping'))[0]!.payload)).toMatchObject({
    id: 'p13',
    status: 200,
    message: 'pong',
  });
  if (properties) {
    if (expectedProtocol === '5') {
      await until(() => obs.on('answers/me').length > 0, 10_000, 'the reply on the response topic');
      expect(obs.on('answers/me')[0]).toMatchObject({ correlation: 'corr-13' });
    } else {
      // Both replies are sent together: had there been one on the response topic, it would be here by now.
      await sleep(1000);
      expect(obs.on('answers/me')).toEqual([]);
    }
  }

  const status = await uplinkStatus(st.base);
  expect(status).toMatchObject({ id: 'center', connected: true, lastError: null });

  // A crash: the broker publishes the will, retained offline.
  st.agent.kill('SIGKILL');
  await st.agent.exited;
  await until(() => obs.on(T('status')).at(-1)?.payload === 'offline', 15_000, 'the will (offline)');
  return st;
}

describe('protocolVersion against aedes (MQTT 3.1.1 only)', () => {
  it('auto: refused MQTT 5, falls back to 3.1.1 once, and everything works', async () => {
    const broker = await aedesBroker();
    const st = await expectWorkingStation(broker, 'auto', '3.1.1');
    const fallbacks = st.logs().filter((l) => String(l.msg).includes('connecting with MQTT 3.1.1'));
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatchObject({
      level: 40,
      code: 'UPLINK_PROTOCOL_REFUSED',
      answer: 'unacceptable protocol version (CONNACK 1)',
    });
    // The broker saw the readings too (what the observer got came through it).
    expect(broker.aedes.published.some((p) => p.topic === T('readings'))).toBe(true);
  });

  it('3.1.1: connects straight away with 3.1.1, no warning', async () => {
    const broker = await aedesBroker();
    const st = await expectWorkingStation(broker, '3.1.1', '3.1.1');
    expect(st.logs().filter((l) => (l.level as number) >= 40 && l.code !== undefined)).toEqual([]);
  });

  it('5: fails with a clear reason, warned once, shown as lastError by /api/status and station-agent status', async () => {
    const broker = await aedesBroker();
    const st = await runStation(broker.url, 5, 'debug');
    const refusals = () => st.logs().filter((l) => l.code === 'UPLINK_PROTOCOL_REFUSED');
    // Several attempts (the repeats at debug), so "once" is measured over retries.
    await until(
      () => refusals().length >= 3,
      30_000,
      () => `three refused attempts\n${st.agent.output()}`,
    );
    const warned = refusals().filter((l) => l.level === 40);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({
      msg: 'uplink: the broker refused the MQTT protocol version',
      answer: 'unacceptable protocol version (CONNACK 1)',
      protocol: '5',
    });
    expect(String(warned[0]!.reason)).toContain('set protocolVersion: auto or 3.1.1');

    let status: UplinkStatus | null = null;
    await waitFor(
      async () => {
        status = await uplinkStatus(st.base);
        return status?.lastError != null;
      },
      20_000,
      'lastError in /api/status',
    );
    const lastError = (status as UplinkStatus | null)!.lastError!;
    expect(lastError).toMatchObject({
      code: 'UPLINK_PROTOCOL_REFUSED',
      message: expect.stringContaining(
        'the broker refused MQTT 5: unacceptable protocol version (CONNACK 1)',
      ),
    });
    expect((status as UplinkStatus | null)!.connected).toBe(false);
    // `at` is the first failure of the run: it stays put across the retries.
    await until(() => refusals().length >= 5, 30_000, 'more refused attempts');
    expect((await uplinkStatus(st.base))!.lastError!.at).toBe(lastError.at);

    const cli = runAgentCli(['status', '--config', st.configPath]);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(
      `center: last error since ${new Date(lastError.at).toISOString()}: the broker refused MQTT 5: unacceptable protocol version (CONNACK 1)`,
    );
    expect(cli.output()).toContain('[UPLINK_PROTOCOL_REFUSED]');
    expect(broker.aedes.published.filter((p) => p.topic === T('readings'))).toEqual([]);
  });
});

describe('protocolVersion against mosquitto (MQTT 5)', () => {
  it('auto: connects with MQTT 5, response topic and all', async () => {
    const st = await expectWorkingStation(await mosquittoBroker(), 'auto', '5');
    expect(st.logs().filter((l) => l.code === 'UPLINK_PROTOCOL_REFUSED')).toEqual([]);
  });

  it('5: the same, explicitly', async () => {
    await expectWorkingStation(await mosquittoBroker(), 5, '5');
  });

  it('3.1.1: works too, replies on reply/{name} only (no response topic in 3.1.1)', async () => {
    await expectWorkingStation(await mosquittoBroker(), '3.1.1', '3.1.1');
  });
});

describe('MQTT 3.1.1 across a broker restart', () => {
  it('auto against aedes: stays on 3.1.1 after the restart and every seq arrives', async () => {
    const aedes = await startAedes();
    cleanups.push(() => aedes.stop());
    const dir = mkdtempSync(join(tmpdir(), 'mqtt311-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
    const store = new ReadingStore({ db });
    const versions: unknown[] = [];
    const uplink = new MqttUplink({
      config: uplinkConfig(aedes.url),
      stationId: STATION,
      store,
      cursors: new Outbox({ db }),
      clock: systemClock,
      log: silentLogger(),
      connect: ((url: string, opts: IClientOptions) => {
        versions.push(opts.protocolVersion);
        return connect(url, opts);
      }) as typeof connect,
    });
    cleanups.push(async () => {
      await uplink.stop();
      db.close();
    });
    uplink.start();

    const delivered = () => {
      const seqs = new Set<number>();
      for (const p of aedes.published) {
        if (p.topic !== T('readings')) continue;
        for (const r of (JSON.parse(p.payload) as { readings: { seq: number }[] }).readings) seqs.add(r.seq);
      }
      return seqs;
    };
    let i = 0;
    const reading = () => ({
      ts: Date.now(),
      device: 'nutrient',
      channel: 'cod',
      code: 'w01018',
      value: i++,
      unit: 'mg/L',
      flag: 'N' as const,
    });
    const producer = setInterval(() => store.append([reading(), reading()]), 20);
    cleanups.push(() => clearInterval(producer));

    await until(() => delivered().size > 50, 15_000, 'readings before the restart');
    await aedes.stop();
    await until(() => uplink.stats().lastError !== null, 10_000, 'the uplink to notice the broker is gone');
    const outage = uplink.stats().lastError!;
    // Lost, or already the first reconnect attempt's reason on a slow machine (the unit tests pin the order).
    expect(['UPLINK_CONNECTION_LOST', 'UPLINK_CONNECT_FAILED']).toContain(outage.code);
    await sleep(1000); // readings keep coming while the broker is away
    // The reconnect attempts find nothing listening: the newest reason, dated from the start of the outage.
    expect(uplink.stats().lastError).toMatchObject({
      code: 'UPLINK_CONNECT_FAILED',
      message: expect.stringContaining('connection refused'),
      at: outage.at,
    });
    await aedes.restart();
    await until(() => uplink.stats().connected, 15_000, 'the reconnect');
    await sleep(500);
    clearInterval(producer);

    const last = store.lastSeq();
    await until(
      () => delivered().size === last,
      20_000,
      () => `every seq 1..${last} at the broker (have ${delivered().size})`,
    );
    expect(Math.min(...delivered())).toBe(1);
    expect(Math.max(...delivered())).toBe(last);
    // MQTT 5 asked once, refused; every connection since, the reconnect included, is 3.1.1.
    expect(versions[0]).toBe(5);
    expect(versions.slice(1).length).toBeGreaterThanOrEqual(2);
    expect(new Set(versions.slice(1))).toEqual(new Set([4]));
    expect(uplink.stats().lastError).toBeNull();
  });
});

/** An MQTT uplink entry as the schema fills it in (protocolVersion: auto by default), fast batches. */
function uplinkConfig(url: string): MqttUplinkConfig {
  return uplinkSchema.parse({
    id: 'center',
    type: 'mqtt',
    url,
    batch: { maxReadings: 20, maxDelay: '50ms' },
    reconnect: { min: '200ms', max: '1s' },
  }) as MqttUplinkConfig;
}
