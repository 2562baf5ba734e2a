/**
 * Issue 6, the reference receiver (scripts/receiver) against a real mosquitto and the agent in-process:
 * a batch lost between broker and receiver (a proxy drops it) shows up as a seq gap, the receiver asks
 * for `resend`, and ends with every reading exactly once. Two receivers on one shared subscription
 * together get everything.
 */
import { join } from 'node:path';
import { connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { DedupeState } from '../../scripts/receiver/dedupeState.js';
import { dedupeKey, Receiver } from '../../scripts/receiver/receiver.js';
import { type MosquittoHandle, startMosquitto, until } from '../../scripts/support/mosquitto.js';
import { tempStation } from '../../scripts/support/stationFixture.js';
import { startDropProxy } from '../helpers/mqttDropProxy.js';
import { PREFIX, STATION, startSupervisedStation } from '../helpers/supervisedStation.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function broker(): Promise<MosquittoHandle> {
  const b = await startMosquitto();
  cleanups.push(() => b.dispose());
  return b;
}

/** Sorted distinct seqs, and whether they run 1..max without a hole. */
function coverage(seqs: number[]): { max: number; complete: boolean } {
  const distinct = [...new Set(seqs)].sort((a, b) => a - b);
  const max = distinct.at(-1) ?? 0;
  return { max, complete: distinct.length === max && distinct[0] === 1 };
}

describe('reference receiver', () => {
  it('detects a batch lost on the way to it and closes the gap with resend, without duplicates', async () => {
    const b = await broker();
    const readingsTopic = `${PREFIX}/${STATION}/readings`;
    // The third readings batch from the broker never reaches the receiver.
    const proxy = await startDropProxy(b.port, (topic, n) => topic === readingsTopic && n === 3);
    cleanups.push(() => proxy.close());
    const dir = tempStation();
    cleanups.push(() => dir.remove());
    const statePath = join(dir.dir, 'receiver-state.json');
    const replies: unknown[] = [];
    const receiver = new Receiver({
      url: proxy.url,
      station: STATION,
      topicPrefix: PREFIX,
      statePath,
      gapGraceMs: 1000,
      onReply: (r) => replies.push(r),
    });
    await receiver.start();
    cleanups.push(() => receiver.stop());

    const st = await startSupervisedStation(b.url, {
      allow: ['ping', 'status', 'resend'],
      interval: '200ms',
      maxReadings: 5,
    });
    cleanups.push(() => st.close());

    await until(() => proxy.dropped.length === 1 && receiver.gapsSeen.length > 0, 20_000, 'a detected gap');
    await until(() => replies.length > 0, 20_000, 'the resend reply');
    expect(replies[0]).toMatchObject({ status: 200, data: { rows: expect.any(Number) } });
    await until(() => receiver.gaps().length === 0, 20_000, 'the gap closed');
    await st.supervisor.stop();

    const seqs = receiver.accepted.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length); // deduplicated
    const { max, complete } = coverage(seqs);
    expect(complete).toBe(true);
    // Readings after the gap arrived too: the gap was in the middle, not at the end.
    expect(max).toBeGreaterThan(receiver.gapsSeen[0]!.to);
    // The resend covered the gap's neighbours too: those came twice and were dropped.
    expect(receiver.duplicates).toBeGreaterThan(0);
    const gap = receiver.gapsSeen[0]!;
    console.info(
      `gap ${gap.from}..${gap.to} closed by resend; ${max} readings, ${receiver.duplicates} dropped`,
    );

    // The dedupe state survives a restart of the receiver.
    await receiver.stop();
    expect(receiver.db).toMatch(/^[0-9a-f]{32}$/);
    const restored = new DedupeState(statePath).of(dedupeKey(STATION, receiver.db));
    expect(restored.ranges).toHaveLength(1);
    expect(restored.ranges[0]).toMatchObject({ from: 1, to: max });
  });

  it('shares one subscription between two receivers that together get everything', async () => {
    const b = await broker();
    const receivers = [0, 1].map(
      () => new Receiver({ url: b.url, station: STATION, topicPrefix: PREFIX, share: 'workers' }),
    );
    for (const r of receivers) {
      await r.start();
      cleanups.push(() => r.stop());
    }
    const st = await startSupervisedStation(b.url, { interval: '200ms', maxReadings: 3 });
    cleanups.push(() => st.close());
    const all = () => receivers.flatMap((r) => r.accepted.map((a) => a.seq));
    await until(() => all().length >= 40, 20_000, '40 readings across both receivers');
    await st.supervisor.stop();
    await new Promise((r) => setTimeout(r, 300));

    const { max, complete } = coverage(all());
    expect(complete).toBe(true);
    expect(max).toBeGreaterThanOrEqual(40);
    // Each message went to one of the group only, and both took a share.
    expect(all().length).toBe(new Set(all()).size);
    for (const r of receivers) expect(r.accepted.length).toBeGreaterThan(0);
  });

  it('keys duplicates by (station, db, seq): a new store restarting at seq 1 is new data', async () => {
    const b = await broker();
    const got: { seq: number; value: unknown }[] = [];
    const receiver = new Receiver({
      url: b.url,
      station: STATION,
      topicPrefix: PREFIX,
      gapCheck: false,
      onReadings: (_s, readings) => got.push(...readings.map((r) => ({ seq: r.seq, value: r.value }))),
    });
    await receiver.start();
    cleanups.push(() => receiver.stop());
    const publisher = connect(b.url, { protocolVersion: 5 });
    cleanups.push(() => publisher.endAsync());
    const batch = (db: string, value: number) =>
      JSON.stringify({
        v: 1,
        station: STATION,
        db,
        seqFrom: 1,
        seqTo: 2,
        historical: false,
        readings: [1, 2].map((seq) => ({
          seq,
          ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
          device: 'd',
          channel: 'c',
          code: null,
          value,
          unit: null,
          flag: 'N',
        })),
      });
    const topic = `${PREFIX}/${STATION}/readings`;
    await publisher.publishAsync(topic, batch('a'.repeat(32), 1), { qos: 1 });
    await publisher.publishAsync(topic, batch('a'.repeat(32), 1), { qos: 1 }); // a repeat
    await publisher.publishAsync(topic, batch('b'.repeat(32), 2), { qos: 1 }); // the set-aside store's successor
    await until(
      () => got.length === 4 && receiver.duplicates === 2,
      10_000,
      'four new readings, two repeats',
    );
    expect(got).toEqual([
      { seq: 1, value: 1 },
      { seq: 2, value: 1 },
      { seq: 1, value: 2 },
      { seq: 2, value: 2 },
    ]);
  });
});
