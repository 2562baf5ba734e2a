import { type MqttClient, connect as mqttConnect } from 'mqtt';
import { type Backoff, createBackoff } from '../core/backoff.js';
import type { TimerHandle } from '../core/clock.js';
import type { StoredReading } from '../core/reading.js';
import type { StoredAggregate } from '../store/aggregateStore.js';
import type { StoredEvent } from '../store/eventStore.js';
import type { Batch } from './batchTracker.js';
import { encodeBirthPayload } from './birthPayload.js';
import type { MqttCommands } from './mqttCommands.js';
import { hostOf } from './mqttConnectFailure.js';
import { MqttConnector } from './mqttConnector.js';
import { fillMqttLengthCacheOnce } from './mqttLengthCache.js';
import { type MqttWireVersion, wireVersionLabel } from './mqttProtocol.js';
import { mqttStreams, publishTopic } from './mqttStreams.js';
import { uplinkCommands } from './mqttUplinkCommands.js';
import type { MqttUplinkDeps } from './mqttUplinkDeps.js';
import { OutboxPump } from './outboxPump.js';
import type { OutboxStream } from './outboxStream.js';
import type { WirePayload } from './payloadEncoding.js';
import { birthTopic, statusTopic } from './readingsPayload.js';
import type { UplinkLastError } from './uplinkError.js';

export type { MqttUplinkDeps } from './mqttUplinkDeps.js';

export interface MqttUplinkStats {
  connected: boolean;
  /** Readings stored after the acknowledged cursor, in-flight ones included. */
  backlog: number;
  /** ts (epoch ms) of the first reading after the acknowledged cursor; null when all are acknowledged. */
  oldestUnsentTs: number | null;
  /** Readings batches published and awaiting their PUBACK. */
  inFlight: number;
  /** Readings published since start (a resend after a reconnect counts again). */
  published: number;
  /** Readings acknowledged by the broker since start. */
  confirmed: number;
  /** Wall-clock time (epoch ms) of the last acknowledgement of readings; null before the first. */
  lastConfirmAt: number | null;
  /** Aggregate records stored after the aggregates cursor; 0 without an aggregates stream. */
  aggregatesBacklog: number;
  /** Why the uplink is not connected (since the first failure of the current run); null when connected. */
  lastError: UplinkLastError | null;
}

/** stop() budget: wait for PUBACKs, then for the `offline` status, then for DISCONNECT; ~2 s in all. */
const STOP_DRAIN_MS = 1000;
const STOP_STATUS_MS = 500;
const STOP_END_MS = 500;

type State = 'idle' | 'running' | 'stopping' | 'stopped';

/**
 * Forwards committed readings (and aggregates, when given a store) to an MQTT broker, at least once.
 * The SQLite store is the only queue: a fresh mqtt.js client per connection (clean session, no
 * auto-reconnect) so mqtt.js never replays its own in-memory queue, and after any disconnect each
 * stream sends everything after its persisted cursor again (outboxStream.ts).
 */
export class MqttUplink {
  readonly id: string;
  private readonly deps: MqttUplinkDeps;
  private readonly statusTopic: string;
  private readonly readings: OutboxStream<StoredReading>;
  private readonly aggregates: OutboxStream<StoredAggregate> | null;
  private readonly events: OutboxStream<StoredEvent> | null;
  private readonly pump: OutboxPump;
  private readonly backoff: Backoff;
  private state: State = 'idle';
  private client: MqttClient | null = null;
  private connected = false;
  private failures = 0;
  private reconnectTimer: TimerHandle | null = null;
  private stopping: Promise<void> | null = null;
  private readonly birthTopic: string;
  private readonly commands: MqttCommands;
  /** Last seq committed when the current connection came up: rows up to it are backlog (historical). */
  private liveFromSeq = 0;
  private readonly connector: MqttConnector;
  /** The MQTT version of the current client. */
  private version: MqttWireVersion = 5;
  /** The maximum packet size the broker announced in its CONNACK (MQTT 5 only); null when it did not. */
  private brokerMaxPacket: number | null = null;

  constructor(deps: MqttUplinkDeps) {
    const { config, stationId, clock, log } = deps;
    this.deps = deps;
    this.id = config.id;
    this.statusTopic = statusTopic(config.topicPrefix, stationId);
    this.connector = new MqttConnector({
      config,
      stationId,
      statusTopic: this.statusTopic,
      clock,
      log,
      connect: deps.connect ?? mqttConnect,
      env: deps.env ?? process.env,
    });
    const streams = mqttStreams(
      deps,
      (topic, payload) => this.publish(topic, payload),
      (rows) => this.isHistorical(rows),
      () => Math.min(config.batch.maxBytes, this.brokerMaxPacket ?? Number.POSITIVE_INFINITY),
    );
    this.readings = streams.readings;
    this.events = streams.events;
    this.aggregates = streams.aggregates;
    this.birthTopic = publishTopic(config.id, birthTopic(config.topicPrefix, stationId));
    this.commands = uplinkCommands(deps, streams.readingsTopic, (topic, payload) =>
      this.publish(topic, payload),
    );
    this.pump = new OutboxPump({
      // Readings first: live data keeps priority over the records derived from it. Events (rare, and
      // alarms such as data-loss among them) go before aggregates, so a records backlog never delays one.
      streams: [this.readings, this.events, this.aggregates].filter((s) => s !== null),
      clock,
      onFailed: (stream, batch, err) => this.onPublishFailed(stream, batch, err),
    });
    this.backoff = createBackoff({
      minMs: config.reconnect.min,
      maxMs: config.reconnect.max,
      random: deps.random,
    });
  }

  /** Starts connecting; rows already in the stores after the cursors are sent once connected. */
  start(): void {
    if (this.state !== 'idle') throw new Error(`uplink ${this.id} was already started`);
    this.pump.start();
    this.state = 'running';
    // mqtt-packet's length cache pins a Buffer pool block per entry unless filled in one go.
    void fillMqttLengthCacheOnce((err) =>
      this.deps.log.warn({ err, uplink: this.id }, 'uplink: could not fill the MQTT length cache'),
    );
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
    const { cursor: _cursor, ...readings } = this.readings.stats();
    return {
      connected: this.connected,
      ...readings,
      aggregatesBacklog: this.aggregates?.stats().backlog ?? 0,
      lastError: this.connector.error,
    };
  }

  /**
   * Publishes on the current connection; the promise settles with the PUBACK (or PUBCOMP). Under
   * MQTT 5 a readings batch carries its encoding in the content type and payload format indicator;
   * MQTT 3.1.1 has no properties, and the payload's first bytes tell the encodings apart anyway.
   */
  private publish(topic: string, payload: string | WirePayload): Promise<unknown> {
    const client = this.client;
    if (client === null) return Promise.reject(new Error('not connected'));
    const { qos } = this.deps.config;
    if (typeof payload === 'string') return client.publishAsync(topic, payload, { qos });
    if (this.version !== 5) return client.publishAsync(topic, payload.body, { qos });
    return client.publishAsync(topic, payload.body, { qos, properties: payload.properties });
  }

  private connect(): void {
    this.reconnectTimer = null;
    const opened = this.connector.open();
    if (opened === null) {
      this.scheduleReconnect();
      return;
    }
    const { client, version } = opened;
    this.client = client;
    this.version = version;
    // The first error of the attempt (or, once connected, of the connection) says why it closed.
    let error: Error | null = null;
    client.on('connect', (connack) => {
      error = null;
      this.noteBrokerLimit(client, connack?.properties?.maximumPacketSize);
      this.onConnect(client);
    });
    client.on('message', (topic, payload, packet) => {
      void this.commands.handle(client, topic, payload, packet);
    });
    client.on('close', () => this.onClose(client, error));
    // Without an 'error' listener an EventEmitter error would crash the process; 'close' follows it.
    client.on('error', (err) => {
      error ??= err;
      this.deps.log.debug({ err, uplink: this.id }, 'uplink MQTT client error');
    });
  }

  /** An MQTT 5 broker may announce the largest packet it takes; batches then stay within it. */
  private noteBrokerLimit(client: MqttClient, announced: number | undefined): void {
    if (client !== this.client) return;
    const limit = announced !== undefined && announced > 0 ? announced : null;
    if (limit !== null && limit < this.deps.config.batch.maxBytes && limit !== this.brokerMaxPacket) {
      this.deps.log.info(
        { uplink: this.id, brokerMaxPacket: limit, maxBytes: this.deps.config.batch.maxBytes },
        'uplink: the broker takes packets up to a smaller size than batch.maxBytes; batches are kept within it',
      );
    }
    this.brokerMaxPacket = limit;
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client || this.state !== 'running') return;
    const { log } = this.deps;
    let cursors: Record<string, number>;
    try {
      cursors = this.pump.open();
    } catch (err) {
      log.error({ err, uplink: this.id }, 'uplink cannot read its cursor; disconnecting');
      this.dropConnection(client, 'cursor unreadable', 'STORE_FAILED');
      return;
    }
    this.connected = true;
    this.liveFromSeq = this.deps.store.lastSeq();
    this.failures = 0;
    this.connector.connected(this.version);
    this.backoff.reset();
    const protocol = wireVersionLabel(this.version);
    log.info(
      { uplink: this.id, broker: hostOf(this.deps.config.url), protocol, cursors },
      'uplink connected',
    );
    void client
      .publishAsync(this.statusTopic, 'online', { qos: 1, retain: true })
      .catch((err: unknown) =>
        log.warn({ err, uplink: this.id }, 'uplink could not publish its online status'),
      );
    this.announce(client);
    this.pump.pump();
  }

  /** Birth (retained), the command subscription and pending supervisor events, on every connect. */
  private announce(client: MqttClient): void {
    const { config, stationId, log, birth, control, clock } = this.deps;
    const warn = (what: string) => (err: unknown) =>
      log.warn({ err, uplink: this.id }, `uplink could not ${what}`);
    if (birth !== undefined) {
      const state = {
        id: this.id,
        commands: config.commands.allow,
        backlog: this.readings.stats().backlog,
        lastSeq: this.liveFromSeq,
      };
      const text = encodeBirthPayload(stationId, birth, state, clock.now());
      void client
        .publishAsync(this.birthTopic, text, { qos: 1, retain: true })
        .catch(warn('publish its birth'));
    }
    void client.subscribeAsync(this.commands.subscription, { qos: 1 }).catch(warn('subscribe to commands'));
    for (const event of control?.takeEvents() ?? []) {
      const topic = `${config.topicPrefix}/${stationId}/event/config`;
      void client.publishAsync(topic, JSON.stringify(event), { qos: 1 }).catch(warn('publish an event'));
    }
  }

  /** Backlog: committed before this connection came up, or older than historicalAfter. */
  private isHistorical(rows: readonly StoredReading[]): boolean {
    const first = rows[0];
    if (first === undefined) return false;
    return (
      first.seq <= this.liveFromSeq || this.deps.clock.now() - first.ts > this.deps.config.historicalAfter
    );
  }

  /** The client closed: a connection lost, or an attempt the broker never accepted. */
  private onClose(client: MqttClient, error: Error | null): void {
    if (client !== this.client) return;
    if (this.connected) {
      const reason = error === null ? 'connection lost' : `connection lost: ${error.message}`;
      this.dropConnection(client, reason, 'UPLINK_CONNECTION_LOST');
      return;
    }
    const end = this.connector.attemptFailed(this.version, error);
    this.dropConnection(client, end.reason, end.code, end.immediately);
  }

  /** Forgets the connection and its in-flight batches; reconnects unless stopping. Idempotent per client. */
  private dropConnection(client: MqttClient, reason: string, code: string | null, immediately = false): void {
    if (client !== this.client) return;
    const { log, clock } = this.deps;
    const wasConnected = this.connected;
    this.client = null;
    this.connected = false;
    this.pump.close();
    client.end(true);
    if (this.state !== 'running') return;
    this.connector.lost(reason, code);
    if (immediately) {
      // The MQTT 3.1.1 fallback: not a failure to back off from.
      this.reconnectTimer = clock.setTimeout(() => this.connect(), 0);
      return;
    }
    this.failures++;
    const delay = this.scheduleReconnect();
    // A lost connection is news; failed attempts are reported by the failure log (once per kind).
    const level = wasConnected ? 'warn' : 'debug';
    log[level]({ uplink: this.id, reason, retryInMs: delay, attempts: this.failures }, 'uplink disconnected');
  }

  private scheduleReconnect(): number {
    const delay = this.backoff.next();
    this.reconnectTimer = this.deps.clock.setTimeout(() => this.connect(), delay);
    return delay;
  }

  /** Called only for a batch of the current connection (the stream ignores failures of dropped ones). */
  private onPublishFailed(stream: string, batch: Batch, err: unknown): void {
    const client = this.client;
    if (client === null) return;
    this.deps.log.warn(
      {
        err,
        code: 'UPLINK_PUBLISH_FAILED',
        uplink: this.id,
        stream,
        firstSeq: batch.firstSeq,
        lastSeq: batch.lastSeq,
      },
      'uplink batch publish failed; reconnecting to resend from the cursor',
    );
    // The batch cannot be retried alone without breaking the contiguous-prefix rule; a new connection
    // resends everything after each cursor in order.
    this.dropConnection(client, 'publish failed', 'UPLINK_PUBLISH_FAILED');
  }

  private async shutdown(): Promise<void> {
    const { clock, log } = this.deps;
    this.state = 'stopping';
    this.pump.stop();
    if (this.reconnectTimer !== null) clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    if (client !== null && this.connected && this.pump.awaiting > 0) {
      await this.within(STOP_DRAIN_MS, this.pump.drained());
    }
    // The link may have dropped while draining: then the broker has published the will already.
    if (client !== null && this.client === client && this.connected) {
      // A clean DISCONNECT suppresses the will, so the offline status is published explicitly.
      const offline = client.publishAsync(this.statusTopic, 'offline', { qos: 1, retain: true });
      const published = await this.within(STOP_STATUS_MS, offline);
      if (!published) log.warn({ uplink: this.id }, 'uplink stopped without confirming its offline status');
    }
    this.client = null;
    this.connected = false;
    this.pump.close();
    if (client !== null) {
      await this.within(STOP_END_MS, client.endAsync(false));
      client.end(true);
    }
    this.state = 'stopped';
    const cursors = {
      readings: this.readings.cursor,
      aggregates: this.aggregates?.cursor,
      events: this.events?.cursor,
    };
    log.info({ uplink: this.id, cursors }, 'uplink stopped');
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
