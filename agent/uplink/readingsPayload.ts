import type { StoredReading } from '../core/reading.js';
import { qcPayload } from '../quality/qcCodes.js';
import type { BatchOrigin } from './batchOrigin.js';

/**
 * Version of the readings payload (the `v` field); see docs/mqtt-contract.md. Fields added before the
 * first release (qc, state, seqFrom, seqTo, historical) are additive and kept it at 1: consumers
 * written against the first contract go on working.
 */
export const READINGS_PAYLOAD_VERSION = 1;

export function readingsTopic(topicPrefix: string, stationId: string): string {
  return `${topicPrefix}/${stationId}/readings`;
}

export function birthTopic(topicPrefix: string, stationId: string): string {
  return `${topicPrefix}/${stationId}/birth`;
}

export function statusTopic(topicPrefix: string, stationId: string): string {
  return `${topicPrefix}/${stationId}/status`;
}

/**
 * The JSON of one batch, as documented in docs/mqtt-contract.md and docs/schemas/readings.schema.json.
 * Objects are built field by field so the key order is fixed and nothing else (e.g. a future field of
 * StoredReading) leaks into the contract.
 */
export function encodeReadingsPayload(
  stationId: string,
  readings: readonly StoredReading[],
  opts: { historical?: boolean; origin?: BatchOrigin } = {},
): string {
  return JSON.stringify(readingsBatch(stationId, readings, opts));
}

/**
 * The batch as an object, before serialisation: the compressed encodings (payloadEncoding.ts) start
 * from it, so every header field added here travels in them too.
 */
export function readingsBatch(
  stationId: string,
  readings: readonly StoredReading[],
  opts: { historical?: boolean; origin?: BatchOrigin } = {},
): { readings: Record<string, unknown>[] } & Record<string, unknown> {
  // seqFrom/seqTo let a receiver see a gap without scanning the array (v2); `historical` marks a
  // backlog or resend batch so dashboards can tell late data from live data.
  return {
    v: READINGS_PAYLOAD_VERSION,
    station: stationId,
    // The config the values were produced under and the database of their seqs (batchOrigin.ts).
    ...(opts.origin ? { cfg: opts.origin.cfg, db: opts.origin.db } : {}),
    seqFrom: readings[0]?.seq ?? 0,
    seqTo: readings.at(-1)?.seq ?? 0,
    historical: opts.historical === true,
    readings: readings.map(encodeReading),
  };
}

function encodeReading(r: StoredReading): Record<string, unknown> {
  const out: Record<string, unknown> = {
    seq: r.seq,
    ts: new Date(r.ts).toISOString(),
    device: r.device,
    channel: r.channel,
    code: r.code,
    value: finite(r.value),
    unit: r.unit,
    flag: r.flag,
  };
  // Absent, not null, when the producer ran no checks / knows no state: keeps a reading of a channel
  // without QC as small as before, and "no key" cannot be mistaken for a result.
  if (r.qc !== undefined) out.qc = qcPayload(r.qc);
  if (r.state !== undefined) out.state = finite(r.state);
  return out;
}

/** JSON has no NaN/Infinity; the store already writes them as null, this guards other callers. */
function finite(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}
