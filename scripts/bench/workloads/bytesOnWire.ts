import type { StoredReading } from '../../../agent/core/reading.js';
import {
  encodeReadingsBatch,
  PAYLOAD_ENCODINGS,
  type PayloadEncoding,
  type WirePayload,
} from '../../../agent/uplink/payloadEncoding.js';
import { readingsBatch, readingsTopic } from '../../../agent/uplink/readingsPayload.js';
import { pollReadings } from '../benchReadings.js';
import type { BenchOptions, Figure, Workload, WorkloadResult } from '../benchTypes.js';
import { figure } from '../figures.js';

/**
 * Workload 5, bytes on the wire: MQTT bytes per reading for live batches (40 readings: 20 channels at
 * 1 Hz, sent every batch.maxDelay of 2 s) and backlog batches (500, the default maxReadings, and
 * 10 000, its maximum), with the default JSON encoding and with columnar-deflate; baseline: one JSON
 * message per reading. Counted: the whole MQTT 5 PUBLISH packet (fixed header, topic, packet id,
 * properties, payload) and the broker's PUBACK (4 bytes), i.e. what the station's link carries; TCP/IP
 * headers are not counted. Deterministic: sizes do not vary between runs, so one run is enough.
 */

const STATION = '320700W001';
const TOPIC = readingsTopic('stations', STATION);
const T0 = Date.UTC(2026, 10, 1);
/** A window of a running station: seqs in the millions, as after a week at 20 readings/s. */
const SEQ0 = 12_000_000;
const PUBACK_BYTES = 4;

export const bytesOnWire: Workload = {
  id: 5,
  name: 'Bytes on the wire',
  async run(opts: BenchOptions): Promise<WorkloadResult> {
    const readings = storedReadings(opts.quick ? 20_000 : 100_000);
    const sizes = [
      { kind: 'live', size: 40 },
      { kind: 'backlog', size: 500 },
      { kind: 'backlog', size: 10_000 },
    ] as const;
    const measured: Figure[] = [];
    for (const { kind, size } of sizes) {
      for (const encoding of PAYLOAD_ENCODINGS) {
        const perReading = bytesPerReading(readings, size, encoding, kind === 'backlog');
        measured.push(figure(`${kind} batch of ${size}, ${encoding}`, 'bytes/reading', [perReading]));
        opts.log(`  ${kind} ${size} ${encoding}: ${perReading.toFixed(2)} bytes/reading`);
      }
    }
    const single = bytesPerReading(readings.slice(0, 2000), 1, 'json', false, false);
    const baseline = [figure('one JSON message per reading (no properties)', 'bytes/reading', [single])];
    const target = measured.find((f) => f.name === 'backlog batch of 10000, columnar-deflate')!;
    const target500 = measured.find((f) => f.name === 'backlog batch of 500, columnar-deflate')!;
    return {
      id: 5,
      name: 'Bytes on the wire',
      measured,
      baseline,
      targets: [
        {
          what: 'backlog batch (10 000 readings), columnar-deflate',
          bound: '<= 12 bytes/reading',
          actual: target.value,
          met: target.value <= 12,
        },
        {
          what: 'backlog batch (500 readings, the default maxReadings), columnar-deflate',
          bound: '<= 12 bytes/reading',
          actual: target500.value,
          met: target500.value <= 12,
        },
      ],
      notes: [
        `Bytes per reading = (MQTT 5 PUBLISH packet + PUBACK) ÷ readings, averaged over ${readings.length} readings of the 20 reference channels (float32 values as Modbus gives them, 3 channels with checks, 2 devices with a state), topic ${TOPIC}, QoS 1; TCP/IP headers not counted. Sizes are deterministic: one run.`,
      ],
    };
  },
};

/** Readings as the store returns them: polls of the 20 bench channels, seqs from SEQ0. */
function storedReadings(n: number): StoredReading[] {
  const out: StoredReading[] = [];
  for (let tick = 0; out.length < n; tick++) {
    for (const r of pollReadings(tick, T0).flat()) out.push({ ...r, seq: SEQ0 + out.length + 1 });
  }
  return out.slice(0, n);
}

function bytesPerReading(
  readings: readonly StoredReading[],
  size: number,
  encoding: PayloadEncoding,
  historical: boolean,
  withProperties = true,
): number {
  let bytes = 0;
  let count = 0;
  for (let i = 0; i + size <= readings.length; i += size) {
    const rows = readings.slice(i, i + size);
    const wire = encodeReadingsBatch(encoding, readingsBatch(STATION, rows, { historical }));
    bytes += publishPacketBytes(TOPIC, wire, withProperties) + PUBACK_BYTES;
    count += rows.length;
  }
  return bytes / count;
}

/** Size of an MQTT 5 QoS 1 PUBLISH packet (OASIS MQTT 5.0, 3.3). */
export function publishPacketBytes(topic: string, wire: WirePayload, withProperties: boolean): number {
  const payload = typeof wire.body === 'string' ? Buffer.byteLength(wire.body) : wire.body.length;
  // Content type (0x03): id + UTF-8 string; payload format indicator (0x01): id + byte.
  const props = withProperties ? 1 + 2 + Buffer.byteLength(wire.properties.contentType) + 2 : 0;
  const variableHeader = 2 + Buffer.byteLength(topic) + 2 + varintBytes(props) + props;
  const remaining = variableHeader + payload;
  return 1 + varintBytes(remaining) + remaining;
}

function varintBytes(n: number): number {
  let bytes = 1;
  for (let x = n; x >= 128; x = Math.floor(x / 128)) bytes++;
  return bytes;
}
