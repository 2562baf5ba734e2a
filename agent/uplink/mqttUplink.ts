import { type IClientOptions, type MqttClient, connect as mqttConnect } from 'mqtt';
import type { MqttUplinkConfig } from '../config/schema.js';
import { type Backoff, createBackoff } from '../core/backoff.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { StoredReading } from '../core/reading.js';
import type { Outbox } from '../store/outbox.js';
import type { ReadingStore } from '../store/readingStore.js';
import { BatchTiming } from './batchTiming.js';
import { type Batch, BatchTracker } from './batchTracker.js';
import { encodeReadingsPayload, readingsTopic, statusTopic } from './readingsPayload.js';

export interface MqttUplinkDeps {
  config: MqttUplinkConfig;
  stationId: string;
  store: ReadingStore;
  cursors: Outbox;
  clock: Clock;
  log: Logger;
  /** mqtt.js connect; tests inject a fake or wrap the real one to reach the client. */
  connect?: typeof mqttConnect;
  /** Jitter source for reconnect delays (tests make it deterministic). */
  random?: () => number;
}

export interface MqttUplinkStats {
  connected: boolean;
  /** Readings stored after the acknowledged cursor, in-flight ones included. */
  backlog: number;
  /** ts (epoch ms) of the first reading after the acknowledged cursor; null when all are acknowledged. */
  oldestUnsentTs: number | null;
  /** Batches published and awaiting their PUBACK. */
  inFlight: number;
  /** Readings published since start (a resend after a reconnect counts again). */
  published: number;
  /** Readings acknowledged by the broker since start. */
  confirmed: number;
  /** Wall-clock time (epoch ms) of the last acknowledgement; null before the first. */
  lastConfirmAt: number | null;
}

/** stop() budget: wait for PUBACKs, then for the `offline` status, then for DISCONNECT; ~2 s in all. */
const STOP_DRAIN_MS = 1000;
const STOP_STATUS_MS = 500;
const STOP_END_MS = 500;
/** A failed read of the store (I/O error) is retried after this long rather than in a tight loop. */
const READ_RETRY_MS = 1000;

type State = 'idle' | 'running' | 'stopping' | 'stopped';

/**
 * Forwards committed readings to an MQTT broker, at least once. The SQLite store is the only queue: a
 * fresh mqtt.js client per connection (clean session, no auto-reconnect) so mqtt.js never replays its own
 * in-memory queue, and after any disconnect everything after the persisted cursor is sent again.
 */
export class MqttUplink {
  readonly id: string;
  private readonly deps: MqttUplinkDeps;
  private readonly connectFn: typeof mqttConnect;
  private readonly topics: { readings: string; status: string };
  private readonly tracker = new BatchTracker();
  private readonly timing: BatchTiming;
  private readonly backoff: Backoff;
  private state: State = 'idle';
  private client: MqttClient | null = null;
  private connected = false;
  private pumping = false;
  private failures = 0;
  private reconnectTimer: TimerHandle | null = null;
  private flushTimer: TimerHandle | null = null;
  private unsubscribe: (() => void) | null = null;
  private drainWaiters: (() => void)[] = [];
  private stopping: Promise<void> | null = null;
  private counters = { published: 0, confirmed: 0, lastConfirmAt: null as number | null };

  constructor(deps: MqttUplinkDeps) {
    const { config, stationId } = deps;
    this.deps = deps;
    this.id = config.id;
    this.connectFn = deps.connect ?? mqttConnect;
    this.topics = {
      readings: readingsTopic(config.topicPrefix, stationId),
      status: statusTopic(config.topicPrefix, stationId),
    };
    // A wildcard in a publish topic is a protocol error: the broker would drop the connection on every batch.
    if (/[+#\0]/.test(this.topics.readings)) {
      throw new AgentError(
        'CONFIG_INVALID',
        `uplink ${config.id}: topic "${this.topics.readings}" contains +, # or NUL (check station.id and topicPrefix)`,
        { uplink: config.id },
      );
    }
    this.timing = new BatchTiming(config.batch);
    this.backoff = createBackoff({
      minMs: config.reconnect.min,
      maxMs: config.reconnect.max,
      random: deps.random,
    });
  }

  /** Starts connecting; readings already in the store after the cursor are sent once connected. */
  start(): void {
    if (this.state !== 'idle') throw new Error(`uplink ${this.id} was already started`);
    const { store, cursors, clock } = this.deps;
    this.tracker.reset(cursors.cursor(this.id));
    this.timing.noteExisting(store.lastSeq());
    this.state = 'running';
    this.unsubscribe = store.onCommitted((readings) => this.onCommitted(readings, clock.monotonic()));
    this.connect();
  }

  /** Graceful stop, bounded to ~2 s: waits for PUBACKs, publishes retained `offline`, disconnects. */
  stop(): Promise<void> {
    if (this.state === 'idle') this.state = 'stopped';
    if (this.state === 'stopped') return this.stopping ?? Promise.resolve();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  stats(): MqttUplinkStats {
    const cursor = this.tracker.confirmedUpTo;
    return {
      connected: this.connected,
      backlog: this.deps.store.countAfter(cursor),
      oldestUnsentTs: this.deps.store.oldestTsAfter(cursor),
      inFlight: this.tracker.awaiting,
      ...this.counters,
    };
  }

  private onCommitted(readings: readonly StoredReading[], at: number): void {
    const first = readings[0];
    const last = readings.at(-1);
    if (first === undefined || last === undefined) return;
    this.timing.noteCommitted(first.seq, last.seq, at);
    this.pump();
  }

  private connect(): void {
    this.reconnectTimer = null;
    const { config, stationId, log } = this.deps;
    const options: IClientOptions = {
      clientId: config.clientId ?? `station-agent-${stationId}-${config.id}`,
      username: config.username,
      password: config.password,
      keepalive: Math.max(1, Math.round(config.keepalive / 1000)),
      clean: true,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    };
    let client: MqttClient;
    try {
      client = this.connectFn(config.url, options);
    } catch (err) {
      log.error({ err, uplink: this.id }, 'uplink could not create an MQTT client');
      this.scheduleReconnect();
      return;
    }
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('close', () => this.dropConnection(client, 'connection closed'));
    // Without an 'error' listener an EventEmitter error would crash the process; 'close' follows it.
    client.on('error', (err) => log.debug({ err, uplink: this.id }, 'uplink MQTT client error'));
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client || this.state !== 'running') return;
    const { cursors, store, log } = this.deps;
    let cursor: number;
    try {
      cursor = cursors.cursor(this.id);
    } catch (err) {
      log.error({ err, uplink: this.id }, 'uplink cannot read its cursor; disconnecting');
      this.dropConnection(client, 'cursor unreadable');
      return;
    }
    this.connected = true;
    this.failures = 0;
    this.backoff.reset();
    this.tracker.reset(cursor);
    this.timing.noteExisting(store.lastSeq());
    log.info({ uplink: this.id, broker: brokerHost(this.deps.config.url), cursor }, 'uplink connected');
    void client
      .publishAsync(this.topics.status, 'online', { qos: 1, retain: true })
      .catch((err: unknown) =>
        log.warn({ err, uplink: this.id }, 'uplink could not publish its online status'),
      );
    this.pump();
  }

  /** Forgets the connection and its in-flight batches; reconnects unless stopping. Idempotent per client. */
  private dropConnection(client: MqttClient, reason: string): void {
    if (client !== this.client) return;
    const { log } = this.deps;
    const wasConnected = this.connected;
    this.client = null;
    this.connected = false;
    this.tracker.reset(this.tracker.confirmedUpTo);
    this.cancelFlush();
    this.resolveDrained();
    client.end(true);
    if (this.state !== 'running') return;
    this.failures++;
    const delay = this.scheduleReconnect();
    // One warning per outage; repeated failed attempts only at debug level.
    const level = wasConnected || this.failures === 1 ? 'warn' : 'debug';
    log[level]({ uplink: this.id, reason, retryInMs: delay, attempts: this.failures }, 'uplink disconnected');
  }

  private scheduleReconnect(): number {
    const delay = this.backoff.next();
    this.reconnectTimer = this.deps.clock.setTimeout(() => this.connect(), delay);
    return delay;
  }

  /** Publishes every due batch while connected and slots are free; re-armed by commits, acks and a timer. */
  private pump(): void {
    if (this.pumping || this.state !== 'running' || !this.connected || this.client === null) return;
    this.pumping = true;
    try {
      const { config, clock, store, log } = this.deps;
      while (this.connected && this.tracker.size < config.maxInFlight) {
        const sentUpTo = this.tracker.publishedUpTo;
        const dueAt = this.timing.dueAt(sentUpTo);
        if (dueAt === null) break;
        const now = clock.monotonic();
        if (dueAt > now) {
          this.armFlush(dueAt - now);
          break;
        }
        let rows: StoredReading[];
        try {
          rows = store.readAfter(sentUpTo, config.batch.maxReadings);
        } catch (err) {
          log.error({ err, uplink: this.id }, 'uplink could not read the store; retrying');
          this.armFlush(READ_RETRY_MS);
          break;
        }
        if (rows.length === 0) {
          this.skipDeleted();
          break;
        }
        this.publish(this.client!, rows);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The seqs still waiting were deleted from the store (retention): nothing to send, move past them. */
  private skipDeleted(): void {
    if (this.tracker.size > 0) return;
    this.persistCursor(this.timing.lastSeq);
    this.tracker.reset(this.timing.lastSeq);
  }

  private publish(client: MqttClient, rows: StoredReading[]): void {
    const batch = this.tracker.add(rows[0]!.seq, rows.at(-1)!.seq, rows.length);
    this.counters.published += rows.length;
    let sent: Promise<unknown>;
    try {
      sent = client.publishAsync(this.topics.readings, encodeReadingsPayload(this.deps.stationId, rows), {
        qos: this.deps.config.qos,
      });
    } catch (err) {
      sent = Promise.reject(err);
    }
    void sent.then(
      () => this.onAck(client, batch),
      (err: unknown) => this.onPublishFailed(client, batch, err),
    );
  }

  private onAck(client: MqttClient, batch: Batch): void {
    // An ack from a dropped connection: that batch was forgotten and will be (or was) sent again.
    if (client !== this.client) return;
    const advanced = this.tracker.confirm(batch);
    this.counters.confirmed += batch.count;
    this.counters.lastConfirmAt = this.deps.clock.now();
    if (advanced !== null) this.persistCursor(advanced);
    if (this.tracker.awaiting === 0) this.resolveDrained();
    this.pump();
  }

  private onPublishFailed(client: MqttClient, batch: Batch, err: unknown): void {
    if (client !== this.client) return;
    this.deps.log.warn(
      {
        err,
        code: 'UPLINK_PUBLISH_FAILED',
        uplink: this.id,
        firstSeq: batch.firstSeq,
        lastSeq: batch.lastSeq,
      },
      'uplink batch publish failed; reconnecting to resend from the cursor',
    );
    // The batch cannot be retried alone without breaking the contiguous-prefix rule; a new connection
    // resends everything after the cursor in order.
    this.dropConnection(client, 'publish failed');
  }

  private persistCursor(seq: number): void {
    try {
      this.deps.cursors.confirm(this.id, seq);
    } catch (err) {
      // Not fatal: the next ack persists a higher cursor; meanwhile a restart resends a little more.
      this.deps.log.error({ err, uplink: this.id, seq }, 'uplink could not persist its cursor');
    }
  }

  private armFlush(ms: number): void {
    this.cancelFlush();
    this.flushTimer = this.deps.clock.setTimeout(() => {
      this.flushTimer = null;
      this.pump();
    }, ms);
  }

  private cancelFlush(): void {
    if (this.flushTimer !== null) this.deps.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private resolveDrained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async shutdown(): Promise<void> {
    const { clock, log } = this.deps;
    this.state = 'stopping';
    this.unsubscribe?.();
    this.cancelFlush();
    if (this.reconnectTimer !== null) clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    if (client !== null && this.connected) {
      if (this.tracker.awaiting > 0) {
        await this.within(STOP_DRAIN_MS, new Promise<void>((resolve) => this.drainWaiters.push(resolve)));
      }
    }
    // The link may have dropped while draining: then the broker has published the will already.
    if (client !== null && this.client === client && this.connected) {
      // A clean DISCONNECT suppresses the will, so the offline status is published explicitly.
      const offline = client.publishAsync(this.topics.status, 'offline', { qos: 1, retain: true });
      const published = await this.within(STOP_STATUS_MS, offline);
      if (!published) log.warn({ uplink: this.id }, 'uplink stopped without confirming its offline status');
    }
    this.client = null;
    this.connected = false;
    this.tracker.reset(this.tracker.confirmedUpTo);
    if (client !== null) {
      await this.within(STOP_END_MS, client.endAsync(false));
      client.end(true);
    }
    this.state = 'stopped';
    log.info({ uplink: this.id, cursor: this.tracker.confirmedUpTo }, 'uplink stopped');
  }

  /** Resolves true if `p` fulfils within `ms` (on the injected clock), false on timeout or rejection. */
  private within(ms: number, p: Promise<unknown>): Promise<boolean> {
    const { clock } = this.deps;
    return new Promise<boolean>((resolve) => {
      const timer = clock.setTimeout(() => resolve(false), ms);
      p.then(
        () => {
          clock.clearTimeout(timer);
          resolve(true);
        },
        () => {
          clock.clearTimeout(timer);
          resolve(false);
        },
      );
    });
  }
}

/** host:port of the broker URL, for logs: the URL itself may carry credentials. */
function brokerHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}
