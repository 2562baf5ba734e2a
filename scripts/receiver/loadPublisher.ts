import { connect } from 'mqtt';
import { encodeReadingsBatch, type PayloadEncoding } from '../../agent/uplink/payloadEncoding.js';

/**
 * Replays many simulated stations into a broker, the way their agents would publish: per station a
 * store id (`db`), consecutive seqs, batches of `perBatch` readings, QoS 1, many in flight. Every
 * `repeatEvery`-th batch is published twice (an at-least-once repeat). For load tests of receivers
 * (tests/integration/receiverLoad.test.ts); not a station simulator (scripts/simulator is).
 */
export interface LoadOptions {
  url: string;
  prefix: string;
  stations: number;
  batchesPerStation: number;
  perBatch: number;
  /** Channels per station, cycled over the readings. */
  channels?: number;
  encoding?: PayloadEncoding | 'mixed';
  /** 0 or absent: no repeats. */
  repeatEvery?: number;
  /** Batches published between two pauses of one event-loop turn (bounds memory, not a rate). */
  burst?: number;
  /** Time of the first reading, ms. */
  startMs?: number;
}

export interface LoadResult {
  messages: number;
  readings: number;
  repeats: number;
}

export function stationId(i: number): string {
  return `LOAD${String(i).padStart(5, '0')}`;
}

export async function publishLoad(o: LoadOptions): Promise<LoadResult> {
  const client = connect(o.url, { protocolVersion: 5, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const channels = o.channels ?? 4;
  const start = o.startMs ?? Date.UTC(2026, 11, 1);
  const burst = o.burst ?? 200;
  let messages = 0;
  let repeats = 0;
  let inFlight: Promise<unknown>[] = [];
  try {
    for (let b = 0; b < o.batchesPerStation; b++) {
      for (let s = 0; s < o.stations; s++) {
        const station = stationId(s);
        const seqFrom = b * o.perBatch + 1;
        const readings = Array.from({ length: o.perBatch }, (_, i) => {
          const seq = seqFrom + i;
          return {
            seq,
            ts: new Date(start + Math.floor((seq - 1) / channels) * 10_000).toISOString(),
            device: 'sonde',
            channel: `ch${(seq - 1) % channels}`,
            code: null,
            value: Math.round(Math.sin(seq / 50) * 1000) / 100,
            unit: null,
            flag: 'N',
          };
        });
        const batch = {
          v: 1,
          station,
          db: `${String(s).padStart(8, '0')}${'0'.repeat(24)}`,
          seqFrom,
          seqTo: seqFrom + o.perBatch - 1,
          historical: false,
          readings,
        };
        const encoding: PayloadEncoding =
          o.encoding === 'mixed' ? (s % 2 === 0 ? 'json' : 'columnar-deflate') : (o.encoding ?? 'json');
        const wire = encodeReadingsBatch(encoding, batch);
        const topic = `${o.prefix}/${station}/readings`;
        const times = o.repeatEvery && (messages + 1) % o.repeatEvery === 0 ? 2 : 1;
        for (let t = 0; t < times; t++) {
          inFlight.push(client.publishAsync(topic, wire.body, { qos: 1, properties: wire.properties }));
          messages++;
        }
        repeats += times - 1;
        if (inFlight.length >= burst) {
          await Promise.all(inFlight);
          inFlight = [];
        }
      }
    }
    await Promise.all(inFlight);
  } finally {
    await client.endAsync();
  }
  return { messages, readings: o.stations * o.batchesPerStation * o.perBatch, repeats };
}
