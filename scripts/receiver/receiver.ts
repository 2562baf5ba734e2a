import { randomUUID } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import type { MqttProtocolSetting } from '../../agent/config/mqttProtocolSchema.js';
import { describeConnectFailure } from '../../agent/uplink/mqttConnectFailure.js';
import { isProtocolRefusal, type MqttWireVersion } from '../../agent/uplink/mqttProtocol.js';
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
  /**
   * MQTT version: `auto` (default) asks for 5 and, when the broker refuses it or closes the first
   * connection unanswered, receives with 3.1.1; `5`; or `3.1.1`. Under 3.1.1 there are no shared
   * subscriptions (`share` is refused), no session expiry (a `clientId` session lasts until the
   * broker drops it), and resend requests carry no response topic (replies come on reply/resend).
   */
  protocolVersion?: MqttProtocolSetting;
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
  /** The MQTT version the receiver connected with. */
  private version: MqttWireVersion = 5;
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

  /** Resolves once subscribed; rejects when the broker refuses the connection (e.g. not authorized). */
  async start(): Promise<void> {
    const { share } = this.opts;
    const setting = this.opts.protocolVersion ?? 'auto';
    if (share !== undefined && setting === '3.1.1') throw new Error(SHARE_NEEDS_5);
    const first = await this.connectWith(setting === '3.1.1' ? 4 : 5, setting === 'auto');
    if (first.fellBack) {
      if (share !== undefined)
        throw new Error(`the broker does not speak MQTT 5 (${first.why}): ${SHARE_NEEDS_5}`);
      this.log(`the broker does not speak MQTT 5 (${first.why}); receiving with MQTT 3.1.1`);
      await this.connectWith(4, false);
    }
    if (this.opts.gapCheck ?? share === undefined) this.timer = setInterval(() => this.checkGaps(), 250);
  }

  /**
   * Connects and subscribes. With `mayFallBack`, an MQTT 5 CONNECT refused for its version (CONNACK
   * 1 or 132) or closed unanswered ends this client and reports `fellBack` instead.
   */
  private connectWith(
    version: MqttWireVersion,
    mayFallBack: boolean,
  ): Promise<{ fellBack: boolean; why: string }> {
    const { url, clientId, share } = this.opts;
    const client = connect(url, {
      protocolVersion: version,
      clientId: clientId ?? `receiver-${randomUUID().slice(0, 8)}`,
      clean: clientId === undefined,
      // A persistent session outlives a short disconnect: the broker keeps queueing QoS 1 messages.
      // MQTT 3.1.1 has no expiry: the broker keeps the session until it decides otherwise.
      ...(clientId && version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
      reconnectPeriod: 500,
    });
    this.client = client;
    this.version = version;
    const readings = `${this.prefix}/readings`;
    const subscription = share ? `$share/${share}/${readings}` : readings;
    const events = `${this.prefix}/events`;
    const eventsSubscription = share ? `$share/${share}/${events}` : events;
    return new Promise((resolve, reject) => {
      let connected = false;
      let error: Error | null = null;
      const giveUp = (why: string, fallBack: boolean) => {
        client.end(true);
        if (fallBack) resolve({ fellBack: true, why });
        else reject(new Error(`could not connect to ${url}: ${why}`));
      };
      client.on('error', (err) => {
        this.log(`mqtt error: ${err.message}`);
        if (connected) return;
        error ??= err;
        const code = (err as { code?: unknown }).code;
        // A CONNACK refusal: mqtt.js does not retry it, and retrying would get the same answer.
        if (typeof code === 'number') {
          const why = describeConnectFailure(err, { url, servername: undefined, version }).reason;
          giveUp(why, mayFallBack && version === 5 && isProtocolRefusal(code));
        }
      });
      client.on('close', () => {
        // Closed before any answer and without an error: some 3.1.1-only brokers answer MQTT 5 so.
        if (!connected && error === null && mayFallBack && version === 5) {
          giveUp('the broker closed the connection without answering the CONNECT', true);
        }
        error = null;
      });
      client.on('message', (topic, payload) => this.onMessage(topic, payload));
      client.once('connect', () => {
        connected = true;
        client
          .subscribeAsync({
            [subscription]: { qos: 1 },
            [eventsSubscription]: { qos: 1 },
            [`${this.prefix}/reply/resend`]: { qos: 1 },
          })
          .then(() => resolve({ fellBack: false, why: '' }), reject);
      });
    });
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
    // MQTT 3.1.1 has no response topic: the reply comes on reply/resend, subscribed anyway.
    const properties =
      this.version === 5
        ? { responseTopic: `${this.prefix}/reply/resend`, correlationData: Buffer.from(id) }
        : undefined;
    void this.client
      ?.publishAsync(`${this.prefix}/cmd/resend`, JSON.stringify(body), {
        qos: 1,
        ...(properties ? { properties } : {}),
      })
      .catch((err: unknown) => this.log(`resend request failed: ${String(err)}`));
  }

  private log(message: string): void {
    this.opts.log?.(message);
  }
}

const SHARE_NEEDS_5 =
  'shared subscriptions (--share) need MQTT 5; use --protocol 5 or auto with an MQTT 5 broker, or leave out --share';

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
