import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttUplinkConfig } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading } from '../../agent/core/reading.js';
import { AggregateStore } from '../../agent/store/aggregateStore.js';
import { MIGRATIONS } from '../../agent/store/migrations.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { MqttUplink } from '../../agent/uplink/mqttUplink.js';
import {
  collectReadings,
  type MosquittoHandle,
  startMosquitto,
  until,
} from '../../scripts/support/mosquitto.js';
import { codMinute } from '../helpers/aggregateFixture.js';
import { uplinkConfig } from '../helpers/mqttUplinkConfig.js';

const STATION = '320700W001';
const READINGS_TOPIC = `stations/${STATION}/readings`;
const AGGREGATES_TOPIC = `stations/${STATION}/aggregates`;
const STATUS_TOPIC = `stations/${STATION}/status`;
const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

const reading = (i: number): NewReading => ({
  ts: T0 + i * 1000,
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  value: 25.5,
  unit: 'mg/L',
  flag: 'N',
});

const minute = codMinute;

interface AggregateCollector {
  /** Every record received, in arrival order (duplicates included). */
  readonly records: Record<string, unknown>[];
  readonly payloads: unknown[];
  close(): Promise<void>;
}

/** Subscribes (QoS 1) to the aggregates topic; collectReadings assumes a readings payload. */
async function collectAggregates(url: string): Promise<AggregateCollector> {
  const client = connect(url, { reconnectPeriod: 0 });
  client.on('error', () => {});
  const records: Record<string, unknown>[] = [];
  const payloads: unknown[] = [];
  client.on('message', (_t, m) => {
    const payload = JSON.parse(m.toString()) as { aggregates: Record<string, unknown>[] };
    payloads.push(payload);
    records.push(...payload.aggregates);
  });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync(AGGREGATES_TOPIC, { qos: 1 });
  return { records, payloads, close: () => client.endAsync(true) };
}

describe('MqttUplink against a real mosquitto', () => {
  let dir: string;
  let broker: MosquittoHandle | undefined;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uplink-it-'));
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
    await broker?.dispose();
    broker = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A store + uplink on the DB file in `dir`; a second call is a restarted agent on the same file. */
  function agent(over: Partial<MqttUplinkConfig> = {}, clients: MqttClient[] = []) {
    const db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
    const store = new ReadingStore({ db });
    const aggregates = new AggregateStore({ db });
    const uplink = new MqttUplink({
      config: uplinkConfig({
        url: broker!.url,
        keepalive: 10_000,
        batch: { maxReadings: 50, maxDelay: 100, maxBytes: 131_072 },
        maxInFlight: 4,
        reconnect: { min: 200, max: 1000 },
        ...over,
      }),
      stationId: STATION,
      store,
      aggregates,
      cursors: new Outbox({ db }),
      clock: systemClock,
      log: silentLogger(),
      connect: ((url: string, opts: object) => {
        const c = connect(url, opts);
        clients.push(c);
        return c;
      }) as typeof connect,
    });
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await uplink.stop();
      db.close();
    };
    cleanups.push(close);
    return { db, store, aggregates, uplink, close };
  }

  it('delivers appended readings with the exact JSON contract', async () => {
    broker = await startMosquitto();
    const sub = await collectReadings(broker.url, READINGS_TOPIC);
    cleanups.push(() => sub.close());
    const { store, uplink } = agent();
    uplink.start();
    store.append([reading(0)]);
    store.append([{ ...reading(1), code: null, unit: null, value: null, flag: 'B' }]);
    store.append([{ ...reading(2), qc: { gross: 1, range: 1, spike: 3, roc: 1, flat: 1 }, state: 2 }]);
    await sub.waitForAll(3);
    const readings = sub.payloads.flatMap((p) => (p as { readings: unknown[] }).readings);
    expect(sub.payloads[0]).toMatchObject({ v: 1, station: STATION });
    expect(readings).toEqual([
      {
        seq: 1,
        ts: '2026-11-28T08:00:00.000Z',
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        value: 25.5,
        unit: 'mg/L',
        flag: 'N',
      },
      {
        seq: 2,
        ts: '2026-11-28T08:00:01.000Z',
        device: 'nutrient',
        channel: 'cod',
        code: null,
        value: null,
        unit: null,
        flag: 'B',
      },
      {
        seq: 3,
        ts: '2026-11-28T08:00:02.000Z',
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        value: 25.5,
        unit: 'mg/L',
        flag: 'N',
        qc: { gross: 1, range: 1, spike: 3, roc: 1, flat: 1 },
        state: 2,
      },
    ]);
    await until(() => uplink.stats().backlog === 0, 5000, 'the cursor to catch up');
    expect(uplink.stats()).toMatchObject({
      connected: true,
      inFlight: 0,
      confirmed: 3,
      oldestUnsentTs: null,
    });
  });

  it('loses nothing across a broker outage while readings keep coming', async () => {
    // Persistence keeps the subscriber's session across the restart, as a production consumer would:
    // otherwise whatever the uplink resends before the subscriber is back is lost to that subscriber.
    broker = await startMosquitto({ persistence: true });
    const sub = await collectReadings(broker.url, READINGS_TOPIC, { clientId: 'it-consumer' });
    cleanups.push(() => sub.close());
    const { store, uplink } = agent({ batch: { maxReadings: 20, maxDelay: 50, maxBytes: 131_072 } });
    uplink.start();

    let i = 0;
    const producer = setInterval(() => {
      store.append([reading(i++), reading(i++), reading(i++)]);
    }, 20);
    cleanups.push(() => clearInterval(producer));

    await until(() => sub.unique.size > 100, 10_000, 'readings before the outage');
    await broker.stop();
    await until(() => !uplink.stats().connected, 5000, 'the uplink to notice the outage');
    const atOutage = store.lastSeq();
    await new Promise((r) => setTimeout(r, 2500));
    expect(store.lastSeq()).toBeGreaterThan(atOutage + 100);
    expect(uplink.stats().backlog).toBeGreaterThan(100);
    await broker.restart();
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(producer);

    const last = store.lastSeq();
    await sub.waitForAll(last, 20_000);
    await until(() => uplink.stats().backlog === 0, 10_000, 'the backlog to drain');
    expect(Math.max(...sub.unique)).toBe(last);
  });

  it('delivers upserted aggregates on the aggregates topic with the exact contract fields', async () => {
    broker = await startMosquitto();
    const sub = await collectAggregates(broker.url);
    cleanups.push(() => sub.close());
    const { aggregates, uplink } = agent();
    uplink.start();
    aggregates.upsert([minute(0)]);
    aggregates.upsert([
      minute(0, {
        period: 'hour',
        end: T0 + 3_600_000,
        min: null,
        avg: Number.NaN,
        max: null,
        cou: 12.5,
        count: 40,
        valid: 30,
        expected: 60,
        flag: 'H',
        ok: false,
      }),
    ]);
    await until(() => sub.records.length >= 2, 5000, 'two aggregate records');
    expect(sub.payloads[0]).toMatchObject({ v: 1, station: STATION });
    expect(sub.records).toEqual([
      {
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        period: 'minute',
        start: '2026-11-28T08:00:00.000Z',
        end: '2026-11-28T08:01:00.000Z',
        min: 25,
        avg: 25.4,
        max: 26,
        cou: null,
        count: 6,
        valid: 6,
        expected: 6,
        flag: 'N',
      },
      {
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        period: 'hour',
        start: '2026-11-28T08:00:00.000Z',
        end: '2026-11-28T09:00:00.000Z',
        min: null,
        avg: null,
        max: null,
        cou: 12.5,
        count: 40,
        valid: 30,
        expected: 60,
        flag: 'H',
      },
    ]);
    await until(() => uplink.stats().aggregatesBacklog === 0, 5000, 'the aggregates cursor to catch up');
    expect(uplink.stats().backlog).toBe(0);
  });

  it('a restarted uplink resumes readings and aggregates, each from its own cursor', async () => {
    broker = await startMosquitto();
    const readings = await collectReadings(broker.url, READINGS_TOPIC);
    cleanups.push(() => readings.close());
    const aggs = await collectAggregates(broker.url);
    cleanups.push(() => aggs.close());

    const first = agent();
    first.uplink.start();
    first.store.append(Array.from({ length: 30 }, (_, i) => reading(i)));
    first.aggregates.upsert(Array.from({ length: 10 }, (_, i) => minute(i)));
    await readings.waitForAll(30);
    await until(() => aggs.records.length >= 10, 5000, '10 aggregate records');
    await first.close();

    const second = agent();
    const outbox = new Outbox({ db: second.db });
    expect([outbox.cursor('cloud'), outbox.cursor('cloud#aggregates')]).toEqual([30, 10]);
    second.store.append(Array.from({ length: 20 }, (_, i) => reading(30 + i)));
    second.aggregates.upsert(Array.from({ length: 5 }, (_, i) => minute(10 + i)));
    second.uplink.start();
    await readings.waitForAll(50);
    await until(() => aggs.records.length >= 15, 5000, '15 aggregate records');
    await until(() => second.uplink.stats().aggregatesBacklog === 0, 5000, 'the aggregates cursor');
    // A graceful stop waited for every PUBACK: nothing was sent twice on either stream.
    expect(readings.duplicates()).toBe(0);
    expect(readings.received[30]).toBe(31);
    const starts = aggs.records.map((r) => r.start);
    expect(starts).toHaveLength(15);
    expect(new Set(starts).size).toBe(15);
  });

  it('resumes an existing database whose readings cursor is keyed by the bare uplink id', async () => {
    // A database as the agent wrote it before aggregates existed: schema version 1, 50 readings, 40 sent.
    mkdirSync(dir, { recursive: true });
    const old = new Database(join(dir, 'station.db'));
    old.transaction(() => {
      MIGRATIONS[0]!.up(old);
      old.pragma('user_version = 1');
      old
        .prepare(
          "INSERT INTO channels (device, channel, code, unit) VALUES ('nutrient', 'cod', 'w01018', 'mg/L')",
        )
        .run();
      const insert = old.prepare('INSERT INTO readings (ts, channel_id, value, flag) VALUES (?, 1, 25.5, 0)');
      for (let i = 0; i < 50; i++) insert.run(T0 + i * 1000);
      old.prepare("INSERT INTO uplink_cursors (uplink, acked_seq, updated_at) VALUES ('cloud', 40, 0)").run();
    })();
    old.close();

    broker = await startMosquitto();
    const readings = await collectReadings(broker.url, READINGS_TOPIC);
    cleanups.push(() => readings.close());
    const aggs = await collectAggregates(broker.url);
    cleanups.push(() => aggs.close());
    const { aggregates, uplink } = agent();
    uplink.start();
    aggregates.upsert([minute(0)]);
    await until(
      () => readings.unique.has(50) && aggs.records.length === 1,
      5000,
      'readings 41..50, 1 record',
    );
    expect(readings.received).toEqual(Array.from({ length: 10 }, (_, i) => 41 + i));
    await until(() => uplink.stats().backlog === 0, 5000, 'the readings cursor');
  });

  it('keeps a retained status: online, offline by will on a dead link, offline on a graceful stop', async () => {
    broker = await startMosquitto();
    const statuses: string[] = [];
    const watcher = await connect(broker.url, { reconnectPeriod: 0 });
    cleanups.push(() => watcher.endAsync(true));
    watcher.on('message', (_t, m) => statuses.push(m.toString()));
    await watcher.subscribeAsync(STATUS_TOPIC, { qos: 1 });

    const clients: MqttClient[] = [];
    const { uplink } = agent({ keepalive: 1000 }, clients);
    uplink.start();
    await until(() => statuses.includes('online'), 5000, 'online');

    // The link dies without a DISCONNECT (a cut cable, a killed process): the broker publishes the will.
    clients[0]!.stream.destroy();
    await until(() => statuses.includes('offline'), 5000, 'the will');
    // ... and the uplink comes back by itself.
    await until(() => statuses.filter((s) => s === 'online').length === 2, 5000, 'online again');

    await uplink.stop();
    await until(() => statuses.at(-1) === 'offline', 5000, 'offline after stop');
    expect(statuses).toEqual(['online', 'offline', 'online', 'offline']);

    // Retained: a consumer arriving later learns the state at once.
    const late = await connect(broker.url, { reconnectPeriod: 0 });
    cleanups.push(() => late.endAsync(true));
    const retained = new Promise<string>((resolve) => late.on('message', (_t, m) => resolve(m.toString())));
    await late.subscribeAsync(STATUS_TOPIC, { qos: 1 });
    expect(await retained).toBe('offline');
  });
});
