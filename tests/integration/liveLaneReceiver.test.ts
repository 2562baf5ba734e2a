/**
 * Issue 9, row 4: during a backlog drain live readings go out beside the backlog (the live lane), so a
 * receiver sees live seqs above backlog seqs still on their way. Against a real mosquitto: the live
 * readings arrive while the backlog is still draining, the reference receiver does not take the
 * undrained part for a gap (no resend asked), and it ends with every reading exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading } from '../../agent/core/reading.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { MqttUplink } from '../../agent/uplink/mqttUplink.js';
import { Receiver } from '../../scripts/receiver/receiver.js';
import { startMosquitto, until } from '../../scripts/support/mosquitto.js';
import { uplinkConfig } from '../helpers/mqttUplinkConfig.js';

const STATION = '320700W001';
const BACKLOG = 4000;

const reading = (i: number): NewReading => ({
  ts: Date.now() - 3_600_000 + i,
  device: 'nutrient',
  channel: 'cod',
  code: 'w01018',
  value: i / 10,
  unit: 'mg/L',
  flag: 'N',
});

describe('live lane with the reference receiver', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('delivers live readings during a drain without the receiver asking for the backlog', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const dir = mkdtempSync(join(tmpdir(), 'live-lane-it-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });
    const store = new ReadingStore({ db });
    for (let i = 0; i < BACKLOG; i += 100) {
      store.append(Array.from({ length: 100 }, (_, k) => reading(i + k)));
    }

    // A short grace: without the drain hold the undrained backlog would be asked for within ~0.35 s.
    const receiver = new Receiver({ url: broker.url, station: STATION, gapGraceMs: 100 });
    await receiver.start();
    cleanups.push(() => receiver.stop());
    let firstLiveAtCount: number | null = null;
    const uplink = new MqttUplink({
      config: uplinkConfig({
        commands: { allow: ['ping', 'resend'], resendRate: 5 },
        url: broker.url,
        keepalive: 10_000,
        // Small backlog batches, one in flight: the drain takes many round trips.
        batch: { maxReadings: 5, maxDelay: 20, maxBytes: 131_072 },
        maxInFlight: 1,
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
    await until(() => receiver.accepted.length > 0, 10_000, 'the first backlog batch');
    const live = store.append([{ ...reading(BACKLOG), ts: Date.now() }]);
    await until(
      () => receiver.accepted.some((r) => r.seq === live[0]!.seq),
      10_000,
      'the live reading at the receiver',
    );
    firstLiveAtCount = receiver.accepted.length;
    await until(() => receiver.accepted.length === BACKLOG + 1, 60_000, 'the whole backlog');

    // The live reading came while most of the backlog was still to come.
    expect(firstLiveAtCount).toBeLessThan(BACKLOG / 2);
    expect(receiver.gapsSeen).toEqual([]);
    expect(receiver.duplicates).toBe(0);
    expect(new Set(receiver.accepted.map((r) => r.seq)).size).toBe(BACKLOG + 1);
    await until(() => uplink.stats().backlog === 0, 10_000, 'the cursor past everything');
  });
});
