import type { AggregateRecord } from '../aggregation/records.js';
import type { BatchOrigin } from './batchOrigin.js';

/** Version of the aggregates payload (the `v` field). */
export const AGGREGATES_PAYLOAD_VERSION = 1;

export function aggregatesTopic(topicPrefix: string, stationId: string): string {
  return `${topicPrefix}/${stationId}/aggregates`;
}

/**
 * The JSON of one batch of minute/hour/day records. Field names are a contract (docs/quality.md):
 *   {"v":1,"station":"320700W001","aggregates":[{"device":"nutrient","channel":"cod","code":"w01018",
 *    "period":"minute","start":"2026-11-28T08:00:00.000Z","end":"2026-11-28T08:01:00.000Z","min":25,
 *    "avg":25.4,"max":26,"cou":null,"count":6,"valid":6,"expected":6,"flag":"N"}]}
 * A record's identity is (station, device, channel, period, start): a record received again with the
 * same identity replaces the earlier one. Objects are built field by field so the key order is fixed
 * and nothing else leaks into the contract.
 */
export function encodeAggregatesPayload(
  stationId: string,
  aggregates: readonly AggregateRecord[],
  origin?: BatchOrigin,
): string {
  return JSON.stringify({
    v: AGGREGATES_PAYLOAD_VERSION,
    station: stationId,
    // The config the records were computed under and the database they come from (batchOrigin.ts).
    ...(origin ? { cfg: origin.cfg, db: origin.db } : {}),
    aggregates: aggregates.map((a) => ({
      device: a.device,
      channel: a.channel,
      code: a.code,
      period: a.period,
      start: new Date(a.start).toISOString(),
      end: new Date(a.end).toISOString(),
      min: finite(a.min),
      avg: finite(a.avg),
      max: finite(a.max),
      cou: finite(a.cou),
      count: a.count,
      valid: a.valid,
      expected: a.expected,
      flag: a.flag,
    })),
  });
}

/** JSON has no NaN/Infinity. */
function finite(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}
