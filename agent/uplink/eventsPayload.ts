import type { StoredEvent } from '../store/eventStore.js';

/** Version of the events payload (the `v` field); see docs/mqtt-contract.md. */
export const EVENTS_PAYLOAD_VERSION = 1;

export function eventsTopic(topicPrefix: string, stationId: string): string {
  return `${topicPrefix}/${stationId}/events`;
}

/** Envelope fields of an event; an event's own field of the same name is sent as `data_<name>`. */
const RESERVED = new Set(['id', 'ts', 'kind']);

/**
 * The JSON of one batch of station events (docs/schemas/events.schema.json):
 *   {"v":1,"station":"320700W001","db":"5f0c…","events":[{"id":7,"ts":"2026-11-29T02:15:00.000Z",
 *    "kind":"store-set-aside","file":"/var/lib/station-agent/agent.db.corrupt-20261129T021500Z",
 *    "reason":"SQLITE_NOTADB: file is not a database","size":4096}]}
 * An event's identity is (station, db, id). After `id`, `ts` and `kind` come the event's own fields,
 * which differ by kind; a field of the event named like an envelope field is renamed rather than
 * allowed to hide the envelope's (an event carrying its own `ts` keeps it as `data_ts`).
 */
export function encodeEventsPayload(stationId: string, db: string, events: readonly StoredEvent[]): string {
  return JSON.stringify({
    v: EVENTS_PAYLOAD_VERSION,
    station: stationId,
    db,
    events: events.map(encodeEvent),
  });
}

function encodeEvent(e: StoredEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { id: e.id, ts: new Date(e.ts).toISOString(), kind: e.event.kind };
  for (const [key, value] of Object.entries(e.event)) {
    if (key === 'kind') continue;
    out[RESERVED.has(key) ? `data_${key}` : key] = value;
  }
  return out;
}
