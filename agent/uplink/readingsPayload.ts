import type { StoredReading } from '../core/reading.js';

/** Version of the readings payload (the `v` field); see docs/mqtt-contract.md. */
export const READINGS_PAYLOAD_VERSION = 1;

export function readingsTopic(topicPrefix: string, stationId: string): string {
  return `${topicPrefix}/${stationId}/readings`;
}

export function statusTopic(topicPrefix: string, stationId: string): string {
  return `${topicPrefix}/${stationId}/status`;
}

/**
 * The JSON of one batch, as documented in docs/mqtt-contract.md and docs/schemas/readings.schema.json.
 * Objects are built field by field so the key order is fixed and nothing else (e.g. a future field of
 * StoredReading) leaks into the contract.
 */
export function encodeReadingsPayload(stationId: string, readings: readonly StoredReading[]): string {
  return JSON.stringify({
    v: READINGS_PAYLOAD_VERSION,
    station: stationId,
    readings: readings.map((r) => ({
      seq: r.seq,
      ts: new Date(r.ts).toISOString(),
      device: r.device,
      channel: r.channel,
      code: r.code,
      // JSON has no NaN/Infinity; the store already writes them as null, this guards other callers.
      value: r.value !== null && Number.isFinite(r.value) ? r.value : null,
      unit: r.unit,
      flag: r.flag,
    })),
  });
}
