import { randomUUID } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { decodeReadingsPayload } from '../../agent/uplink/payloadEncoding.js';
import { DedupeState } from './dedupeState.js';
import { ALARM_KINDS, describeAlarm, EventLog, type StationEventMessage } from './eventLog.js';
import type { Gap } from './seqRanges.js';

/**
 * Reference receiver for the station-agent MQTT contract (docs/mqtt-contract.md): subscribes to a
 * station's readings, drops duplicates by (station, db, seq), reports gaps (seqFrom/seqTo make them
 * visible per batch) and closes them with the agent's `resend` command; logs and keeps the station's
 * events (eventLog.ts), loudly for data loss and a replaced database. Meant to be read and copied
 * as much as run.
 */

export interface Reading {
  seq: number;
  ts: string;
  device: string;
  channel: string;
  value: number | null;
  flag: string;
  [key: string]: unknown;
}

export interface ReceiverOptions {
  url: string;
  station: string;
  topicPrefix?: string;
  /** JSON file for the dedupe state; null keeps it in memory. */
  statePath?: string | null;
  /** MQTT 5 shared subscription group: receivers with the same group share the messages. */
  share?: string;
  /** Look for gaps and ask for resends; default on, off with `share` (see the contract's notes). */
  gapCheck?: boolean;
  /** A gap must stay open this long before a resend is asked: a reconnect backlog may fill it first. */
  gapGraceMs?: number;
  /** A gap still open this long after its resend was asked is asked again. */
  resendRetryMs?: number;
  /** With a client id the session is persistent: the broker queues messages while the receiver is away. */
  clientId?: string;
  onReadings?(station: string, readings: Reading[], historical: boolean): void;
  onGap?(station: string, gap: Gap): void;
  onReply?(reply: unknown): void;
  /** New station events (duplicates dropped by (station, db, id)); alarms are also logged as ALARM lines. */
  onEvents?(station: string, db: string, events: StationEventMessage[]): void;
  log?(message: string): void;
}

interface Batch {
  v: number;
  station: string;
  /** The store's id: seqs restart at 1 in a new database file (docs/mqtt-contract.md, "Store identity"). */
  db?: string;
  seqFrom: number;
  seqTo: number;
  historical: boolean;
  readings: Reading[];
}

export class Receiver {
  readonly accepted: Reading[] = [];
  duplicates = 0;
  readonly gapsSeen: Gap[] = [];
  /** The station's events topic: what happened to the station (eventLog.ts). */
  readonly events = new EventLog();
  private readonly opts: ReceiverOptions;
  private readonly state: DedupeState;
  private readonly prefix: string;
  private client: MqttClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The db of the newest batch seen: gaps are looked for in that store's seqs. */
  private currentDb: string | undefined;
  /** Gap key -> when first seen and when last asked for. */
  private readonly open = new Map<string, { since: number; askedAt: number | null }>();

  constructor(opts: ReceiverOptions) {
    this.opts = opts;
    this.state = new DedupeState(opts.statePath ?? null);
    this.prefix = `${opts.topicPrefix ?? 'stations'}/${opts.station}`;
  }

  /** Resolves once subscribed. */
  async start(): Promise<void> {
    const { url, clientId, share } = this.opts;
    const client = connect(url, {
      protocolVersion: 5,
      clientId: clientId ?? `receiver-${randomUUID().slice(0, 8)}`,
      clean: clientId === undefined,
      // A persistent session outlives a short disconnect: the broker keeps queueing QoS 1 messages.
      ...(clientId ? { properties: { sessionExpiryInterval: 3600 } } : {}),
      reconnectPeriod: 500,
    });
    this.client = client;
    client.on('error', (err) => this.log(`mqtt error: ${err.message}`));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    const readings = `${this.prefix}/readings`;
    const subscription = share ? `$share/${share}/${readings}` : readings;
    const events = `${this.prefix}/events`;
    const eventsSubscription = share ? `$share/${share}/${events}` : events;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => {
        client
          .subscribeAsync({
            [subscription]: { qos: 1 },
            [eventsSubscription]: { qos: 1 },
            [`${this.prefix}/reply/resend`]: { qos: 1 },
          })
          .then(() => resolve(), reject);
      });
    });
    if (this.opts.gapCheck ?? share === undefined) this.timer = setInterval(() => this.checkGaps(), 250);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.state.flush();
    await this.client?.endAsync();
  }

  /** The store id (`db`) of the newest batch; undefined before the first or from an agent without one. */
  get db(): string | undefined {
    return this.currentDb;
  }

  /** Open gaps of the station right now. */
  gaps(): Gap[] {
    return this.state.of(dedupeKey(this.opts.station, this.currentDb)).gaps();
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic.endsWith('/reply/resend')) {
      const reply: unknown = safeJson(payload);
      this.log(`resend reply: ${payload.toString()}`);
      this.opts.onReply?.(reply);
      return;
    }
    if (topic.endsWith('/events')) {
      this.onEvents(topic, payload);
      return;
    }
    // JSON or columnar-deflate alike (docs/mqtt-contract.md, "Payload encodings"): the decoder tells
    // them apart by their first bytes, so MQTT 5 properties lost by a bridge do not matter.
    let batch: Batch;
    try {
      batch = decodeReadingsPayload(payload) as unknown as Batch;
    } catch (err) {
      this.log(`ignored a malformed message on ${topic}: ${String(err)}`);
      return;
    }
    // Seqs are unique per database file: a set-aside or replaced store starts again at 1, and its
    // readings are new data, not repeats of the old store's.
    if (typeof batch.db === 'string') this.currentDb = batch.db;
    const ranges = this.state.of(dedupeKey(batch.station, batch.db));
    const fresh: Reading[] = [];
    for (const r of batch.readings) {
      if (ranges.add(r.seq, Date.parse(r.ts))) fresh.push(r);
      else this.duplicates++;
    }
    if (fresh.length > 0) {
      this.accepted.push(...fresh);
      this.state.touch();
      this.opts.onReadings?.(batch.station, fresh, batch.historical === true);
    }
  }

  private onEvents(topic: string, payload: Buffer): void {
    const got = this.events.accept(safeJson(payload));
    if (got === null) {
      this.log(`ignored a malformed message on ${topic}`);
      return;
    }
    for (const e of got.fresh) {
      // Loud on purpose: data lost on the station, or a new database (seqs from 1), needs a person.
      if (ALARM_KINDS.has(e.kind)) this.log(describeAlarm(got.station, e));
    }
    if (got.fresh.length > 0) this.opts.onEvents?.(got.station, got.db, got.fresh);
  }

  private checkGaps(): void {
    const now = Date.now();
    const grace = this.opts.gapGraceMs ?? 2000;
    const retry = this.opts.resendRetryMs ?? 30_000;
    const current = new Set<string>();
    for (const gap of this.gaps()) {
      // A gap is keyed by its bounds: while a backlog drains below live readings (the live lane,
      // docs/mqtt-contract.md) its lower end moves with every batch, so it never outlives the grace.
      const key = `${gap.from}-${gap.to}`;
      current.add(key);
      let entry = this.open.get(key);
      if (entry === undefined) {
        entry = { since: now, askedAt: null };
        this.open.set(key, entry);
      }
      if (now - entry.since < grace) continue;
      if (entry.askedAt !== null && now - entry.askedAt < retry) continue;
      if (entry.askedAt === null) {
        this.gapsSeen.push(gap);
        this.opts.onGap?.(this.opts.station, gap);
        this.log(`gap: seq ${gap.from}..${gap.to} missing; asking for a resend`);
      }
      entry.askedAt = now;
      this.askResend(gap);
    }
    for (const key of this.open.keys()) if (!current.has(key)) this.open.delete(key);
  }

  /** The gap's neighbours come again too (dropped as duplicates): cheaper than a seq-exact query. */
  private askResend(gap: Gap): void {
    const id = randomUUID();
    const body = {
      id,
      kind: 'readings',
      from: new Date(gap.afterTs).toISOString(),
      to: new Date(gap.beforeTs).toISOString(),
    };
    void this.client
      ?.publishAsync(`${this.prefix}/cmd/resend`, JSON.stringify(body), {
        qos: 1,
        properties: { responseTopic: `${this.prefix}/reply/resend`, correlationData: Buffer.from(id) },
      })
      .catch((err: unknown) => this.log(`resend request failed: ${String(err)}`));
  }

  private log(message: string): void {
    this.opts.log?.(message);
  }
}

/** Dedupe state key: (station, db); payloads from agents without `db` key by station alone. */
export function dedupeKey(station: string, db: unknown): string {
  return typeof db === 'string' && db !== '' ? `${station}#${db}` : station;
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
}
