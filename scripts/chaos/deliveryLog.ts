import { connect as mqttConnect } from 'mqtt';

/**
 * What arrived upstream during a chaos scenario, seen by a QoS 1 subscriber with a persistent
 * session (fixed client id, clean: false) on the real broker: every readings batch and every station
 * event. The broker keeps the session across its own restarts (persistence on), so nothing published
 * while this subscriber reconnects is missed by it: a gap here is a gap in what the agent delivered.
 *
 * Readings are keyed by store: a payload's `db` field (the store id, when the agent sends it) tells
 * two databases' seqs apart; without it every seq belongs to the store '' and (station, seq) is the key.
 */

export interface ReceivedEvent {
  /** The envelope's store id ('' without one): an event is identified by (station, db, id). */
  envelopeDb: string;
  id: number;
  kind: string;
  [key: string]: unknown;
}

export interface DeliveryLog {
  /** Seqs received per store id ('' when payloads carry no `db`), duplicates collapsed. */
  readonly distinct: Map<string, Set<number>>;
  /** Every reading received, duplicates included. */
  received(): number;
  /**
   * Repeats whose content (ts, device, channel, value, flag) differs from the first arrival of their
   * key: a repeat must be the same reading again, or a receiver dropping it by key would lose data.
   */
  conflicts(): number;
  /** Whether any payload carried a `db` field. */
  sawDbField(): boolean;
  /** Events received on the events topic, in arrival order (an event repeated after a resend repeats here). */
  readonly events: ReceivedEvent[];
  /** Harness time (ms) at which a seq > `seq` of store `db` first arrived after `since`, or null. */
  firstAfter(db: string, seq: number, since: number): number | null;
  /** True once every seq 1..`upTo` of store `db` has arrived (seqs in `except` need not). */
  hasAll(db: string, upTo: number, except?: ReadonlySet<number>): boolean;
  close(): Promise<void>;
}

interface ReadingsPayload {
  station?: unknown;
  db?: unknown;
  readings?: {
    seq?: unknown;
    ts?: unknown;
    device?: unknown;
    channel?: unknown;
    value?: unknown;
    flag?: unknown;
  }[];
}

interface EventsPayload {
  db?: unknown;
  events?: { id: number; kind: string }[];
}

/** Subscribes to `<prefix>/<station>/readings` and `/events`; resolves once both subscriptions hold. */
export async function startDeliveryLog(opts: {
  url: string;
  topicPrefix: string;
  station: string;
  clientId: string;
  now: () => number;
}): Promise<DeliveryLog> {
  const readingsTopic = `${opts.topicPrefix}/${opts.station}/readings`;
  const eventsTopic = `${opts.topicPrefix}/${opts.station}/events`;
  const client = mqttConnect(opts.url, { clientId: opts.clientId, clean: false, reconnectPeriod: 100 });
  client.on('error', () => {}); // broker restarts are the point of the exercise: reconnect quietly
  const distinct = new Map<string, Set<number>>();
  // Arrival times of the newest seq per store, sparse: enough for "first live reading after the fault".
  const arrivals: { db: string; seq: number; at: number }[] = [];
  const events: ReceivedEvent[] = [];
  const content = new Map<string, string>();
  let received = 0;
  let conflicts = 0;
  let dbField = false;

  client.on('message', (topic, message) => {
    let payload: unknown;
    try {
      payload = JSON.parse(message.toString());
    } catch {
      return; // not ours to judge here; the agent's payload tests cover its JSON
    }
    if (topic === eventsTopic) {
      const p = payload as EventsPayload;
      const envelopeDb = typeof p.db === 'string' ? p.db : '';
      for (const e of p.events ?? []) events.push({ ...e, envelopeDb });
      return;
    }
    const p = payload as ReadingsPayload;
    if (typeof p.db === 'string') dbField = true;
    const db = typeof p.db === 'string' ? p.db : '';
    let set = distinct.get(db);
    if (set === undefined) {
      set = new Set();
      distinct.set(db, set);
    }
    let top = 0;
    for (const r of p.readings ?? []) {
      if (typeof r.seq !== 'number') continue;
      received++;
      set.add(r.seq);
      const key = `${db}/${r.seq}`;
      const body = JSON.stringify([r.ts, r.device, r.channel, r.value, r.flag]);
      const first = content.get(key);
      if (first === undefined) content.set(key, body);
      else if (first !== body) conflicts++;
      top = Math.max(top, r.seq);
    }
    arrivals.push({ db, seq: top, at: opts.now() });
  });

  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      client.subscribe([readingsTopic, eventsTopic], { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
  });

  return {
    distinct,
    received: () => received,
    conflicts: () => conflicts,
    sawDbField: () => dbField,
    events,
    firstAfter(db, seq, since) {
      for (const a of arrivals) if (a.db === db && a.at >= since && a.seq > seq) return a.at;
      return null;
    },
    hasAll(db, upTo, except) {
      const set = distinct.get(db);
      for (let s = 1; s <= upTo; s++) {
        if (!set?.has(s) && !except?.has(s)) return false;
      }
      return true;
    },
    close: () => client.endAsync(true),
  };
}
