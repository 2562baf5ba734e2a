import { createRequire } from 'node:module';

/**
 * Fills mqtt-packet's cache of encoded packet lengths in one burst, so it never grows afterwards.
 *
 * Why (docs/performance.md, workload 8; mqttjs/mqtt-packet#163, open): mqtt-packet, the encoder
 * under mqtt.js, keeps the encoded "remaining length" of every packet length below 16 384 in a
 * module-level object that is never evicted (`varByteIntCache` in writeToStream.js), and has no
 * option to turn it off. Each entry is a 1-4 byte slice of Node's shared Buffer pool, and a slice
 * keeps its whole pool block alive: 8 KB on Node 20 and 22, 64 KB on Node 24. An agent meets a
 * live batch of a length it has not sent before every now and then, for months, and each one pins
 * another block: the soak measured it as external memory rising 0.2-0.5 MB/h, and its bound is
 * 16 384 blocks (128 MB; 1 GB on Node 24) to hold 64 KB. Created back to back, the same 16 382
 * entries share a few dozen blocks (~0.3 MB) plus ~1.8 MB of Buffer objects, and since every
 * length below 16 384 is then present, nothing is ever added again.
 *
 * The cache is process-wide state of the dependency, so the fill is too: once per process.
 */

/** The part of mqtt-packet this needs. */
export interface PacketWriter {
  writeToStream: ((
    packet: { cmd: 'publish'; topic: string; payload: Buffer; qos: 0 },
    stream: { write(chunk: Buffer): boolean; destroy(err?: Error): void },
    opts: { protocolVersion: number },
  ) => boolean) & { cacheNumbers: boolean };
}

/** mqtt-packet's cache holds lengths below this (writeToStream.js: `if (num < 16384)`). */
export const CACHED_LENGTHS = 16_384;
/** A publish with an empty topic is 2 bytes before its payload: the shortest length it can carry. */
const MIN_PUBLISH_LENGTH = 2;
/** Lengths per turn of the event loop: ~4 ms each, so polls are not held up at start. */
const CHUNK = 1024;

/** The copy of mqtt-packet that mqtt.js itself loads (resolved from mqtt's own folder, not ours). */
export function mqttPacketOfMqtt(): PacketWriter {
  const fromHere = createRequire(import.meta.url);
  return createRequire(fromHere.resolve('mqtt'))('mqtt-packet') as PacketWriter;
}

/**
 * Writes a publish of every length in [2, 16 384) to a sink, so mqtt-packet caches each one.
 * `yieldTo` runs the next chunk after the event loop has turned (setImmediate in the agent).
 */
export function fillLengthCache(
  writer: PacketWriter,
  yieldTo: (next: () => void) => void = setImmediate,
): Promise<void> {
  // The agent's clients run with writeCache: false, which sets this same switch (mqttConnector.ts).
  // Set here too: writing while it is on would first build mqtt-packet's other cache, 65 536
  // two-byte Buffers (~6 MB of heap).
  writer.writeToStream.cacheNumbers = false;
  const payload = Buffer.alloc(CACHED_LENGTHS);
  const sink = {
    write: () => true,
    destroy: (err?: Error) => {
      throw err ?? new Error('mqtt-packet refused a packet while filling its length cache');
    },
  };
  const opts = { protocolVersion: 4 };
  return new Promise((resolve, reject) => {
    const fill = (from: number) => {
      try {
        const to = Math.min(from + CHUNK, CACHED_LENGTHS);
        for (let length = from; length < to; length++) {
          const body = payload.subarray(0, length - MIN_PUBLISH_LENGTH);
          writer.writeToStream({ cmd: 'publish', topic: '', payload: body, qos: 0 }, sink, opts);
        }
        if (to < CACHED_LENGTHS) yieldTo(() => fill(to));
        else resolve();
      } catch (err) {
        reject(err);
      }
    };
    fill(MIN_PUBLISH_LENGTH);
  });
}

let filled: Promise<void> | null = null;

/**
 * Fills the cache of the mqtt-packet that mqtt.js uses, once per process (the cache is per process).
 * A failure only costs the memory this saves, so it is reported to `onError` and never thrown.
 */
export function fillMqttLengthCacheOnce(onError: (err: unknown) => void): Promise<void> {
  filled ??= fillLengthCache(mqttPacketOfMqtt()).catch((err: unknown) => onError(err));
  return filled;
}
