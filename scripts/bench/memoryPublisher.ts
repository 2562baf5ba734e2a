import { connect } from 'mqtt';
import { silentLogger } from '../../agent/core/log.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import {
  encodeReadingsBatch,
  type PayloadEncoding,
  type WirePayload,
} from '../../agent/uplink/payloadEncoding.js';
import { readingsBatch } from '../../agent/uplink/readingsPayload.js';

/**
 * The baseline of workload 4: what mqtt.js alone achieves. The same batch payloads the agent would
 * send (read and encoded before the clock starts, so neither SQLite nor encoding is timed) published
 * QoS 1 to the same broker with at most `maxInFlight` awaiting their PUBACK. Returns readings/s.
 */
export async function publishFromMemory(o: {
  url: string;
  topic: string;
  station: string;
  dbPath: string;
  readings: number;
  batch: number;
  maxInFlight: number;
  encoding: PayloadEncoding;
}): Promise<number> {
  const payloads: { wire: WirePayload; count: number }[] = [];
  const db = openDatabase({ path: o.dbPath, log: silentLogger() });
  try {
    const store = new ReadingStore({ db });
    let after = 0;
    for (let n = 0; n < o.readings; ) {
      const rows = store.readAfter(after, Math.min(o.batch, o.readings - n));
      if (rows.length === 0) break;
      payloads.push({
        wire: encodeReadingsBatch(o.encoding, readingsBatch(o.station, rows, { historical: true })),
        count: rows.length,
      });
      after = rows.at(-1)!.seq;
      n += rows.length;
    }
  } finally {
    db.close();
  }
  const client = connect(o.url, {
    protocolVersion: 5,
    reconnectPeriod: 0,
    clientId: `bench-w4-memory-${process.pid}`,
  });
  client.on('error', () => {});
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  try {
    let next = 0;
    let total = 0;
    const t0 = performance.now();
    const lane = async () => {
      while (next < payloads.length) {
        const p = payloads[next++]!;
        await client.publishAsync(o.topic, p.wire.body, { qos: 1, properties: p.wire.properties });
        total += p.count;
      }
    };
    await Promise.all(Array.from({ length: o.maxInFlight }, lane));
    return (total / (performance.now() - t0)) * 1000;
  } finally {
    await client.endAsync(true);
  }
}
