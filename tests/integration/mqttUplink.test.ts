import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttUplinkConfig } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading } from '../../agent/core/reading.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { MqttUplink } from '../../agent/uplink/mqttUplink.js';
import { collectReadings, type MosquittoHandle, startMosquitto, until } from '../helpers/mosquitto.js';

const STATION = '320700W001';
const READINGS_TOPIC = `stations/${STATION}/readings`;
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
    const uplink = new MqttUplink({
      config: {
        id: 'cloud',
        type: 'mqtt',
        url: broker!.url,
        topicPrefix: 'stations',
        qos: 1,
        keepalive: 10_000,
        batch: { maxReadings: 50, maxDelay: 100 },
        maxInFlight: 4,
        reconnect: { min: 200, max: 1000 },
        ...over,
      },
      stationId: STATION,
      store,
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
    return { db, store, uplink, close };
  }

  it('delivers appended readings with the exact JSON contract', async () => {
    broker = await startMosquitto();
    const sub = await collectReadings(broker.url, READINGS_TOPIC);
    cleanups.push(() => sub.close());
    const { store, uplink } = agent();
    uplink.start();
    store.append([reading(0)]);
    store.append([{ ...reading(1), code: null, unit: null, value: null, flag: 'B' }]);
    await sub.waitForAll(2);
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
    ]);
    await until(() => uplink.stats().backlog === 0, 5000, 'the cursor to catch up');
    expect(uplink.stats()).toMatchObject({
      connected: true,
      inFlight: 0,
      confirmed: 2,
      oldestUnsentTs: null,
    });
  });

  it('loses nothing across a broker outage while readings keep coming', async () => {
    // Persistence keeps the subscriber's session across the restart, as a production consumer would:
    // otherwise whatever the uplink resends before the subscriber is back is lost to that subscriber.
    broker = await startMosquitto({ persistence: true });
    const sub = await collectReadings(broker.url, READINGS_TOPIC, { clientId: 'it-consumer' });
    cleanups.push(() => sub.close());
    const { store, uplink } = agent({ batch: { maxReadings: 20, maxDelay: 50 } });
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

  it('a restarted uplink resumes from its persisted cursor', async () => {
    broker = await startMosquitto();
    const sub = await collectReadings(broker.url, READINGS_TOPIC);
    cleanups.push(() => sub.close());

    const first = agent();
    first.uplink.start();
    first.store.append(Array.from({ length: 30 }, (_, i) => reading(i)));
    await sub.waitForAll(30);
    await first.close();

    const second = agent();
    expect(new Outbox({ db: second.db }).cursor('cloud')).toBe(30);
    second.store.append(Array.from({ length: 70 }, (_, i) => reading(30 + i)));
    second.uplink.start();
    await sub.waitForAll(100);
    // A graceful stop waited for every PUBACK: nothing was sent twice.
    expect(sub.duplicates()).toBe(0);
    expect(sub.received[30]).toBe(31);
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
