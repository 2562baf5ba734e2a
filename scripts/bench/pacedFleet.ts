import { connect } from 'mqtt';
import { encodeReadingsBatch, type PayloadEncoding } from '../../agent/uplink/payloadEncoding.js';
import { stationId } from '../receiver/loadPublisher.js';

/**
 * A fleet of simulated stations publishing in real time, for workload 7: every station has `channels`
 * channels read once a second and publishes them the way the agent's uplink batches by default
 * (uplink.batch.maxDelay 2 s: one batch of channels × 2 readings every 2 s), QoS 1. Stations are
 * spread evenly over the batch interval, as real ones are. Every `repeatEvery`-th batch is published
 * twice (an at-least-once redelivery, e.g. after a lost PUBACK). JSON and columnar-deflate alternate by
 * station. The publish time of every batch of the first `probes` stations is kept for the latency probe.
 *
 * Unlike loadPublisher.ts (as fast as the broker takes it), this paces: it measures whether receivers
 * keep up with a given fleet, and how late a reading is committed.
 */
export interface FleetOptions {
  url: string;
  prefix: string;
  stations: number;
  channels: number;
  seconds: number;
  /** Seconds of readings per batch (the agent's batch.maxDelay). */
  batchSeconds: number;
  repeatEvery: number;
  probes: number;
  /** ts of the first reading, ms. */
  startMs: number;
}

export interface FleetResult {
  messages: number;
  readings: number;
  repeats: number;
  /** How late the publisher itself got behind its schedule at worst (ms): it is a bottleneck too. */
  maxLagMs: number;
  /** Per probe station: [seqTo, Date.now() at publish] of each batch, in order. */
  probeBatches: Map<string, [number, number][]>;
}

/** The store id (`db`) of a fleet station: distinct from loadPublisher's, whose seqs also start at 1. */
export function fleetDb(s: number): string {
  return `${String(s).padStart(8, '0')}${'f'.repeat(24)}`;
}

export async function publishFleet(o: FleetOptions): Promise<FleetResult> {
  const client = connect(o.url, { protocolVersion: 5, reconnectPeriod: 0, writeCache: false });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const perBatch = o.channels * o.batchSeconds;
  const batches = Math.floor(o.seconds / o.batchSeconds);
  const stepMs = (o.batchSeconds * 1000) / o.stations;
  const probeBatches = new Map<string, [number, number][]>();
  for (let s = 0; s < Math.min(o.probes, o.stations); s++) probeBatches.set(stationId(s), []);
  let messages = 0;
  let repeats = 0;
  let maxLagMs = 0;
  const pending = new Set<Promise<unknown>>();
  const began = Date.now();
  try {
    // Slot i is station i % stations's batch number floor(i / stations), due at began + (i + 1) × stepMs.
    const slots = batches * o.stations;
    for (let i = 0; i < slots; i++) {
      const due = began + (i + 1) * stepMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      maxLagMs = Math.max(maxLagMs, Date.now() - due);
      const s = i % o.stations;
      const b = Math.floor(i / o.stations);
      const wire = encodeReadingsBatch(s % 2 === 0 ? 'json' : ('columnar-deflate' as PayloadEncoding), {
        v: 1,
        station: stationId(s),
        db: fleetDb(s),
        seqFrom: b * perBatch + 1,
        seqTo: (b + 1) * perBatch,
        historical: false,
        readings: Array.from({ length: perBatch }, (_, k) => {
          const second = b * o.batchSeconds + Math.floor(k / o.channels);
          const channel = k % o.channels;
          return {
            seq: b * perBatch + k + 1,
            ts: new Date(o.startMs + second * 1000).toISOString(),
            device: `a${channel % 8}`,
            channel: `ch${channel}`,
            code: null,
            value: Math.round(Math.sin((second + channel) / 30) * 10_000) / 100,
            unit: null,
            flag: 'N',
          };
        }),
      });
      const times = o.repeatEvery > 0 && (messages + 1) % o.repeatEvery === 0 ? 2 : 1;
      for (let t = 0; t < times; t++) {
        const p = client.publishAsync(`${o.prefix}/${stationId(s)}/readings`, wire.body, {
          qos: 1,
          properties: wire.properties,
        });
        pending.add(p);
        void p.finally(() => pending.delete(p));
        messages++;
      }
      repeats += times - 1;
      probeBatches.get(stationId(s))?.push([(b + 1) * perBatch, Date.now()]);
    }
    await Promise.all(pending);
  } finally {
    await client.endAsync();
  }
  return { messages, readings: slots(o) * perBatch, repeats, maxLagMs, probeBatches };
}

function slots(o: FleetOptions): number {
  return Math.floor(o.seconds / o.batchSeconds) * o.stations;
}
