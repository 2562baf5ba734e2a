/**
 * Issue 9, row 5: an uplink set to `payload.encoding: columnar-deflate` against a real mosquitto. The
 * reference receiver decodes every batch (a backlog of full batches, then live ones) back to the JSON
 * contract, and the MQTT 5 properties name the encoding.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading } from '../../agent/core/reading.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { MqttUplink } from '../../agent/uplink/mqttUplink.js';
import { COLUMNAR_CONTENT_TYPE, COLUMNAR_MAGIC } from '../../agent/uplink/payloadEncoding.js';
import { encodeReadingsPayload } from '../../agent/uplink/readingsPayload.js';
import { Receiver } from '../../scripts/receiver/receiver.js';
import { startMosquitto, until } from '../../scripts/support/mosquitto.js';
import { uplinkConfig } from '../helpers/mqttUplinkConfig.js';

const STATION = '320700W001';
const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

/** Five channels polled together, with the odd failed read, check result and state change. */
function poll(i: number): NewReading[] {
  return ['cod', 'nh3n', 'tp', 'tn', 'ph'].map((channel, c) => {
    const failed = (i + c) % 17 === 0;
    const r: NewReading = {
      ts: T0 + i * 1000,
      device: c < 4 ? 'nutrient' : 'sonde',
      channel,
      code: c === 4 ? null : `w0${c}`,
      value: failed ? Number.NaN : Math.round(Math.sin(i / 10 + c) * 1e4) / 100,
      unit: 'mg/L',
      flag: failed ? 'B' : 'N',
    };
    if (c < 3) r.qc = { gross: 1, range: 1, spike: i % 50 === 0 ? 3 : 1, roc: 1, flat: 1 };
    if (c === 1) r.state = i < 100 ? 0 : 4;
    return r;
  });
}

describe('columnar-deflate readings payload', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('is decoded by the reference receiver to exactly the JSON batch, backlog and live', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const dir = mkdtempSync(join(tmpdir(), 'columnar-it-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

    const receiver = new Receiver({ url: broker.url, station: STATION, gapCheck: false });
    await receiver.start();
    cleanups.push(() => receiver.stop());
    // A raw subscriber to see what is on the wire: magic bytes and MQTT 5 properties.
    const raw: MqttClient = connect(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    raw.on('error', () => {});
    const wire: { head: Buffer; contentType: unknown; format: unknown }[] = [];
    raw.on('message', (_topic, payload, packet) => {
      wire.push({
        head: payload.subarray(0, 4),
        contentType: packet.properties?.contentType,
        format: packet.properties?.payloadFormatIndicator,
      });
    });
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    await raw.subscribeAsync(`stations/${STATION}/readings`, { qos: 1 });
    cleanups.push(() => raw.endAsync(true));

    const db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
    const store = new ReadingStore({ db });
    const stored = [];
    // A backlog of 1000 readings (two full batches) before the uplink starts, then live polls.
    for (let i = 0; i < 200; i++) stored.push(...store.append(poll(i)));
    const uplink = new MqttUplink({
      config: uplinkConfig({
        commands: { allow: ['ping'], resendRate: 5 },
        payload: { encoding: 'columnar-deflate' },
        url: broker.url,
        keepalive: 10_000,
        batch: { maxReadings: 500, maxDelay: 50, maxBytes: 131_072 },
        maxInFlight: 4,
        reconnect: { min: 200, max: 1000 },
      }),
      stationId: STATION,
      store,
      cursors: new Outbox({ db }),
      clock: systemClock,
      log: silentLogger(),
    });
    uplink.start();
    cleanups.push(async () => {
      await uplink.stop();
      db.close();
    });
    await until(() => receiver.accepted.length >= 1000, 20_000, 'the backlog at the receiver');
    for (let i = 200; i < 210; i++) stored.push(...store.append(poll(i)));
    await until(() => receiver.accepted.length >= stored.length, 20_000, 'the live readings at the receiver');

    // As read back from the store (a null value's checks read as missing, 9): what the uplink sends.
    const expected = (
      JSON.parse(encodeReadingsPayload(STATION, store.readAfter(0, 10_000))) as { readings: unknown[] }
    ).readings;
    expect(receiver.accepted).toEqual(expected);
    expect(receiver.duplicates).toBe(0);
    expect(wire.length).toBeGreaterThanOrEqual(3);
    for (const w of wire) {
      expect(w.head).toEqual(COLUMNAR_MAGIC);
      expect(w.contentType).toBe(COLUMNAR_CONTENT_TYPE);
      expect(w.format).toBe(false);
    }
  });
});
