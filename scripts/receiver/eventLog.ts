/**
 * The receiver's side of the events stream (docs/mqtt-contract.md, "Events payload"): drops
 * duplicates by (station, db, id), keeps what is new, and tells which events need a person: data
 * lost on the station, or its database found damaged and replaced.
 */

export interface StationEventMessage {
  id: number;
  ts: string;
  kind: string;
  [key: string]: unknown;
}

interface EventsBatch {
  v: number;
  station: string;
  db: string;
  events: StationEventMessage[];
}

/**
 * Kinds that mean data is missing upstream for good, or numbering restarts or jumps: never to be
 * missed in a log.
 */
export const ALARM_KINDS: ReadonlySet<string> = new Set([
  'data-loss',
  'store-set-aside',
  'store-seqs-skipped',
]);

export interface AcceptedEvents {
  station: string;
  db: string;
  /** Events not seen before, in the batch's order. */
  fresh: StationEventMessage[];
  /** How many of the batch were duplicates. */
  duplicates: number;
}

export class EventLog {
  /** Every event accepted, oldest first. */
  readonly accepted: (StationEventMessage & { station: string; db: string })[] = [];
  duplicates = 0;
  /** station \0 db -> ids seen. Events are few (a handful a day), so a set per database is enough. */
  private readonly seen = new Map<string, Set<number>>();

  /** Parses one message of the events topic; null when it is not an events batch. */
  accept(payload: unknown): AcceptedEvents | null {
    if (!isEventsBatch(payload)) return null;
    const key = `${payload.station}\u0000${payload.db}`;
    let ids = this.seen.get(key);
    if (ids === undefined) {
      ids = new Set();
      this.seen.set(key, ids);
    }
    const fresh: StationEventMessage[] = [];
    for (const e of payload.events) {
      if (ids.has(e.id)) continue;
      ids.add(e.id);
      fresh.push(e);
      this.accepted.push({ ...e, station: payload.station, db: payload.db });
    }
    const duplicates = payload.events.length - fresh.length;
    this.duplicates += duplicates;
    return { station: payload.station, db: payload.db, fresh, duplicates };
  }
}

/** One line for an operator: what happened, where, and what it means. */
export function describeAlarm(station: string, e: StationEventMessage): string {
  switch (e.kind) {
    case 'data-loss':
      return `ALARM station ${station}: data lost on the station (event ${e.id} at ${e.ts}): ${JSON.stringify(e)}`;
    case 'store-set-aside':
      return (
        `ALARM station ${station}: its database was damaged and set aside as ${String(e.file)} ` +
        `(${String(e.reason)}); a new database started, seqs restart at 1 (event ${e.id} at ${e.ts})`
      );
    case 'store-seqs-skipped': {
      const r = e.readings as { from?: unknown; to?: unknown } | null | undefined;
      const seqs = r ? `seqs ${String(r.from)}..${String(r.to)} will never come` : 'no seqs skipped';
      return (
        `ALARM station ${station}: it stopped uncleanly with storage.synchronous normal (a power cut?): ` +
        `what it had not synced may be lost; numbering resumes above what it may have sent: ${seqs} ` +
        `(event ${e.id} at ${e.ts})`
      );
    }
    default:
      return `station ${station}: event ${e.kind} ${JSON.stringify(e)}`;
  }
}

function isEventsBatch(p: unknown): p is EventsBatch {
  if (typeof p !== 'object' || p === null) return false;
  const b = p as Partial<EventsBatch>;
  return (
    typeof b.station === 'string' &&
    typeof b.db === 'string' &&
    Array.isArray(b.events) &&
    b.events.every(
      (e) => typeof e === 'object' && e !== null && Number.isInteger(e.id) && typeof e.kind === 'string',
    )
  );
}
