/**
 * Issue 19: mqtt-packet caches every packet length below 16 384 it has written, each as a slice of
 * Node's shared Buffer pool, and a slice pins its whole pool block (8 KB here; 64 KB on Node 24).
 * Over months an agent writes live batches of lengths it has not written before, so without the
 * fill the cache pins one more block per new length: memory that only grows. These tests write
 * publishes of many new lengths the way a running agent does (other allocations from the pool in
 * between) and count the distinct pool blocks the written length buffers live in.
 */
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import type { connect } from 'mqtt';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import {
  CACHED_LENGTHS,
  fillLengthCache,
  mqttPacketOfMqtt,
  type PacketWriter,
} from '../../../agent/uplink/mqttLengthCache.js';
import { MqttUplink } from '../../../agent/uplink/mqttUplink.js';
import { FakeClient, ManualClock, settle, uplinkConfig } from './fakeMqtt.js';

const requireFromMqtt = createRequire(createRequire(import.meta.url).resolve('mqtt'));

/** A copy of mqtt-packet with an empty cache: its files dropped from require's cache, then loaded again. */
function freshMqttPacket(): PacketWriter {
  const dir = dirname(requireFromMqtt.resolve('mqtt-packet'));
  for (const key of Object.keys(requireFromMqtt.cache)) {
    if (key.startsWith(dir + sep)) delete requireFromMqtt.cache[key];
  }
  const writer = requireFromMqtt('mqtt-packet') as PacketWriter;
  writer.writeToStream.cacheNumbers = false; // as the agent's clients run (writeCache: false)
  return writer;
}

const body = Buffer.alloc(CACHED_LENGTHS);

/**
 * Publishes of the given remaining lengths, each after 9 KB of other pool allocations (more than a
 * pool block, as a live batch's JSON and the socket's writes take between two batches). Returns the
 * pool blocks (ArrayBuffers) the written remaining-length buffers are slices of.
 */
function blocksOfLengthBuffers(writer: PacketWriter, lengths: number[]): Set<ArrayBufferLike> {
  const blocks = new Set<ArrayBufferLike>();
  for (const length of lengths) {
    for (let i = 0; i < 3; i++) Buffer.allocUnsafe(3000).fill(i);
    const writes: Buffer[] = [];
    const stream = {
      write: (chunk: Buffer) => writes.push(chunk) > 0,
      destroy: (err?: Error) => {
        throw err;
      },
    };
    writer.writeToStream(
      { cmd: 'publish', topic: '', payload: body.subarray(0, length - 2), qos: 0 },
      stream,
      { protocolVersion: 4 },
    );
    // writes: the fixed header byte, then the remaining length, then the topic and payload.
    expect(writes[1]!.length).toBe(length < 128 ? 1 : 2);
    blocks.add(writes[1]!.buffer);
  }
  return blocks;
}

/** 500 distinct lengths spread over the cached range, in a shuffled order. */
const LENGTHS = Array.from({ length: 500 }, (_, i) => 2 + ((i * 7919) % (CACHED_LENGTHS - 2)));

describe("mqtt-packet's length cache", () => {
  // First, before any test loads a fresh copy: the instance mqtt.js's client required is ours.
  it('fills the copy mqtt.js loads, not another one', async () => {
    await import('mqtt');
    const client = requireFromMqtt.cache[requireFromMqtt.resolve('mqtt/lib/client')];
    const used = client?.children.find((m) => m.filename.includes(`${sep}mqtt-packet${sep}`));
    expect(used?.exports).toBeDefined();
    expect(mqttPacketOfMqtt()).toBe(used?.exports);
  });

  it('without the fill, every new length pins another pool block (the growth the soak measured)', () => {
    const writer = freshMqttPacket();
    expect(blocksOfLengthBuffers(writer, LENGTHS).size).toBeGreaterThan(LENGTHS.length * 0.9);
  });

  it('filled in one go, every length below 16 384 is present and all share a few dozen blocks', async () => {
    const writer = freshMqttPacket();
    await fillLengthCache(writer);
    // Each entry takes 8 bytes of a block, and a 2-byte topic length 8 more: 16 382 × 16 B / 8 KB = 32.
    const all = Array.from({ length: CACHED_LENGTHS - 2 }, (_, i) => i + 2);
    expect(blocksOfLengthBuffers(writer, all).size).toBeLessThanOrEqual(40);
    // The same lengths written again, in another order, come from the same blocks: nothing new cached.
    const before = blocksOfLengthBuffers(writer, LENGTHS);
    const again = blocksOfLengthBuffers(writer, [...LENGTHS].reverse());
    expect([...again].every((b) => before.has(b))).toBe(true);
  });

  it('yields to the event loop between chunks, so polls are not held up while it fills', async () => {
    const writer = freshMqttPacket();
    let turns = 0;
    await fillLengthCache(writer, (next) => {
      turns++;
      setImmediate(next);
    });
    expect(turns).toBe(15); // 16 382 lengths in chunks of 1024
  });

  it("an MQTT uplink's start fills it: station traffic then pins no new blocks", async () => {
    freshMqttPacket(); // the copy mqtt.js would load from now on, empty
    const db = openDatabase({ path: ':memory:', log: pino({ level: 'silent' }) });
    const clock = new ManualClock();
    const uplink = new MqttUplink({
      config: uplinkConfig(),
      stationId: '320700W001',
      store: new ReadingStore({ db }),
      cursors: new Outbox({ db, clock }),
      clock,
      log: pino({ level: 'silent' }),
      connect: ((_url: string, opts: Record<string, unknown>) =>
        new FakeClient(opts)) as unknown as typeof connect,
      random: () => 0,
    });
    uplink.start();
    // The fill takes 16 turns of the event loop (one chunk of 1024 lengths each); give it 40.
    for (let turn = 0; turn < 40; turn++) await settle();
    expect(blocksOfLengthBuffers(mqttPacketOfMqtt(), LENGTHS).size).toBeLessThanOrEqual(40);
    const stopped = uplink.stop();
    await clock.advance(5000);
    await stopped;
    db.close();
  });
});
