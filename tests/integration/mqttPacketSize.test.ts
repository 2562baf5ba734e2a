/**
 * A broker with a maximum packet size (cloud IoT hubs: 128 KB or 256 KB) drops the connection on a
 * larger packet. Without a limit of its own the uplink would resend the same oversized batch after
 * every reconnect, for ever, and nothing after it would arrive. A real mosquitto with
 * `max_packet_size` plays that broker: under MQTT 5 it announces the limit in its CONNACK, under
 * 3.1.1 it cannot, and `batch.maxBytes` is the setting that says it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttUplinkConfig } from '../../agent/config/schema.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading } from '../../agent/core/reading.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { MqttUplink } from '../../agent/uplink/mqttUplink.js';
import { collectReadings, type MosquittoHandle, startMosquitto } from '../../scripts/support/mosquitto.js';
import { uplinkConfig } from '../helpers/mqttUplinkConfig.js';

const STATION = '320700W001';
const READINGS_TOPIC = `stations/${STATION}/readings`;
const BROKER_MAX = 16 * 1024;
const READINGS = 2000;
const T0 = Date.UTC(2026, 11, 7, 8);

const reading = (i: number): NewReading => ({
  ts: T0 + i * 1000,
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  value: 25.5 + i / 1000,
  unit: 'mg/L',
  flag: 'N',
});

describe(`an uplink against a broker that takes packets up to ${BROKER_MAX} bytes`, () => {
  let dir: string;
  let broker: MosquittoHandle | undefined;
  const cleanups: (() => Promise<unknown> | unknown)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uplink-packet-'));
  });
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
    await broker?.dispose();
    broker = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** 2000 readings in the store (a backlog: 500-reading batches of ~75 KB), then the uplink started. */
  function station(over: Partial<MqttUplinkConfig>) {
    const db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
    const store = new ReadingStore({ db });
    store.append(Array.from({ length: READINGS }, (_, i) => reading(i)));
    const cursors = new Outbox({ db });
    const uplink = new MqttUplink({
      config: uplinkConfig({
        commands: { allow: ['ping'], resendRate: 5 },
        url: broker!.url,
        keepalive: 10_000,
        batch: { maxReadings: 500, maxDelay: 100, maxBytes: 128 * 1024 },
        maxInFlight: 4,
        reconnect: { min: 200, max: 500 },
        ...over,
      }),
      stationId: STATION,
      store,
      cursors,
      clock: systemClock,
      log: silentLogger(),
    });
    cleanups.push(async () => {
      await uplink.stop();
      db.close();
    });
    uplink.start();
    return { uplink, cursor: () => cursors.cursor('cloud') };
  }

  async function delivered(over: Partial<MqttUplinkConfig>) {
    broker = await startMosquitto({ maxPacketSize: BROKER_MAX });
    const sub = await collectReadings(broker.url, READINGS_TOPIC);
    cleanups.push(() => sub.close());
    const { cursor } = station(over);
    return { sub, cursor };
  }

  it('MQTT 5: the broker announces its limit and every batch keeps within it', async () => {
    const { sub, cursor } = await delivered({ protocolVersion: '5' });
    await sub.waitForAll(READINGS, 30_000);
    const sizes = sub.payloads.map((p) => Buffer.byteLength(JSON.stringify(p)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(BROKER_MAX);
    // Trimmed to what fits, not to one reading a packet: a 16 KB packet holds about a hundred.
    expect(sizes.length).toBeLessThan(READINGS / 50);
    expect(sub.duplicates()).toBe(0);
    await expect.poll(cursor, { timeout: 10_000 }).toBe(READINGS);
  });

  it('MQTT 3.1.1: the broker cannot say it, batch.maxBytes does', async () => {
    const { sub, cursor } = await delivered({
      protocolVersion: '3.1.1',
      batch: { maxReadings: 500, maxDelay: 100, maxBytes: BROKER_MAX },
    });
    await sub.waitForAll(READINGS, 30_000);
    const sizes = sub.payloads.map((p) => Buffer.byteLength(JSON.stringify(p)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(BROKER_MAX);
    expect(sub.duplicates()).toBe(0);
    await expect.poll(cursor, { timeout: 10_000 }).toBe(READINGS);
  });

  it("MQTT 3.1.1 with a maxBytes above the broker's limit: the broker drops every batch (why the setting exists)", async () => {
    const { sub, cursor } = await delivered({ protocolVersion: '3.1.1' });
    await new Promise((r) => setTimeout(r, 3000));
    expect(sub.unique.size).toBe(0);
    expect(cursor()).toBe(0);
  });
});
