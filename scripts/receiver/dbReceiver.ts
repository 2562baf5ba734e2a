import { connect, type MqttClient } from 'mqtt';
import type pg from 'pg';
import { decodeReadingsPayload } from '../../agent/uplink/payloadEncoding.js';
import { PgGapCheck, type ResendRequest, recordResendReply } from './pgGapCheck.js';
import { migrate } from './pgMigrations.js';
import { aggregateRows, eventRows, readingRows } from './pgRows.js';
import { PgSink, type SinkWork } from './pgSink.js';
import type { ReceiverMetrics } from './receiverMetrics.js';

/**
 * The receiver with a PostgreSQL sink (`receiver --postgres URL`): any number of stations
 * (`{prefix}/+/…`), any number of receiver processes in one MQTT 5 shared-subscription group, all
 * state in the database. Each MQTT message is acknowledged (PUBACK) only after its rows are
 * committed (mqtt.js `customHandleAcks`), so a receiver that dies before committing leaves the
 * message unacknowledged and the broker delivers it again.
 *
 * mqtt.js handles a connection's incoming packets one at a time, so one connection has one message
 * in flight; `connections` opens several (each a member of the share group) and the sink commits
 * their messages together.
 *
 * Sessions are persistent (`clientId`-i, session expiry): mosquitto 2.0 keeps a shared-subscription
 * member's unacknowledged messages in that member's session, not handing them to the others, and
 * delivers them when the same client id connects again. A receiver that died must therefore come
 * back under the same id (systemd Restart=) to deliver them; see docs/integrations.md.
 */
export interface DbReceiverOptions {
  url: string;
  pool: pg.Pool;
  topicPrefix: string;
  /** One station id, or `+` for every station under the prefix. */
  station: string;
  /** MQTT 5 shared-subscription group; required for more than one connection. */
  share?: string;
  connections: number;
  /** Base of the connections' client ids (`{clientId}-{i}`): stable across restarts. */
  clientId: string;
  /** Session expiry, seconds: how long the broker queues for a receiver that is away. */
  sessionExpiry: number;
  gapCheck: boolean;
  gapGraceMs: number;
  resendRetryMs: number;
  /** Asks per gap before it is given up. */
  resendMaxAsks: number;
  gapIntervalMs: number;
  metrics: ReceiverMetrics;
  log(message: string): void;
}

export class DbReceiver {
  private readonly opts: DbReceiverOptions;
  private sink: PgSink | null = null;
  private gaps: PgGapCheck | null = null;
  private readonly clients: MqttClient[] = [];
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(opts: DbReceiverOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    const { pool, metrics, log } = this.opts;
    const client = await pool.connect().catch((err: unknown) => {
      throw new Error(`cannot connect to PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
    });
    let timescale: boolean;
    try {
      const m = await migrate(client);
      timescale = m.timescale;
      if (m.applied.length > 0) log(`database schema: applied migrations ${m.applied.join(', ')}`);
    } finally {
      client.release();
    }
    log(`readings table: ${timescale ? 'TimescaleDB hypertable' : 'partitioned by month on ts'}`);
    this.sink = new PgSink(pool, {
      partitioned: !timescale,
      onCommit: (s) => metrics.commit(s),
    });
    for (let i = 0; i < this.opts.connections; i++) this.clients.push(await this.connectOne(i));
    if (this.opts.gapCheck) {
      this.gaps = new PgGapCheck(pool, {
        graceMs: this.opts.gapGraceMs,
        retryMs: this.opts.resendRetryMs,
        maxAsks: this.opts.resendMaxAsks,
        receiverId: this.opts.clientId,
        publish: (r) => this.publishResend(r),
      });
      this.timer = setInterval(() => void this.checkGaps(), this.opts.gapIntervalMs);
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.all(this.clients.map((c) => c.endAsync()));
    await this.gaps?.stop();
  }

  private connectOne(i: number): Promise<MqttClient> {
    const { url, share, topicPrefix, station } = this.opts;
    const sub = (suffix: string) => {
      const topic = `${topicPrefix}/${station}/${suffix}`;
      return share === undefined ? topic : `$share/${share}/${topic}`;
    };
    const client = connect(url, {
      protocolVersion: 5,
      clientId: `${this.opts.clientId}-${i}`,
      clean: false,
      properties: { sessionExpiryInterval: this.opts.sessionExpiry },
      reconnectPeriod: 1000,
      customHandleAcks: (topic, message, _packet, done) => {
        this.handle(topic, message).then(
          () => done(0),
          (err: unknown) => {
            // Not acknowledged: drop the connection so the broker delivers the message again
            // (after the reconnect, to this session) instead of waiting on it forever.
            this.opts.log(`database write failed, message not acknowledged: ${String(err)}`);
            this.opts.metrics.writeFailures.inc();
            client.stream.destroy();
          },
        );
      },
    });
    client.on('error', (err) => this.opts.log(`mqtt error (connection ${i}): ${err.message}`));
    return new Promise((resolve, reject) => {
      client.once('error', reject);
      client.once('connect', () => {
        client.off('error', reject);
        client
          .subscribeAsync({
            [sub('readings')]: { qos: 1 },
            [sub('aggregates')]: { qos: 1 },
            [sub('events')]: { qos: 1 },
            [sub('reply/resend')]: { qos: 1 },
          })
          .then(() => resolve(client), reject);
      });
    });
  }

  /** Resolves once the message's rows are committed (or the message is dropped as unreadable). */
  private async handle(topic: string, payload: Buffer): Promise<void> {
    const { metrics, log } = this.opts;
    const kind = topic.slice(topic.lastIndexOf('/') + 1);
    metrics.messages.inc({ kind });
    if (topic.endsWith('/reply/resend')) {
      const reply = safeJson(payload);
      if (!(await recordResendReply(this.opts.pool, reply)))
        log(`resend reply not ours: ${payload.toString()}`);
      return;
    }
    let work: SinkWork;
    try {
      work = toWork(kind, payload);
    } catch (err) {
      // Unreadable now is unreadable on every redelivery: acknowledge and count it, never loop on it.
      metrics.malformed.inc({ kind });
      log(`dropped a malformed message on ${topic}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const sink = this.sink;
    if (sink === null) throw new Error('receiver not started');
    const result = await sink.write(work);
    metrics.rows.inc({ table: 'readings' }, result.readings);
    metrics.rows.inc({ table: 'aggregates' }, result.aggregates);
    metrics.rows.inc({ table: 'events' }, result.events);
    metrics.duplicates.inc(result.duplicates);
  }

  private async checkGaps(): Promise<void> {
    if (this.checking || this.gaps === null) return;
    this.checking = true;
    try {
      const r = await this.gaps.tick();
      this.opts.metrics.gapLeader.set(r.leader ? 1 : 0);
      if (r.leader) this.opts.metrics.gapsOpen.set(r.open);
      for (const a of r.asked) {
        this.opts.log(
          `gap: ${a.station} db ${a.db} seq ${a.fromSeq}..${a.toSeq} missing; asked for a resend`,
        );
      }
    } catch (err) {
      this.opts.log(`gap check failed: ${String(err)}`);
    } finally {
      this.checking = false;
    }
  }

  private async publishResend(r: ResendRequest): Promise<void> {
    const client = this.clients.find((c) => c.connected);
    if (client === undefined) throw new Error('no MQTT connection to send a resend on');
    const prefix = `${this.opts.topicPrefix}/${r.station}`;
    await client.publishAsync(
      `${prefix}/cmd/resend`,
      JSON.stringify({ id: r.id, kind: 'readings', from: r.from, to: r.to }),
      {
        qos: 1,
        properties: { responseTopic: `${prefix}/reply/resend`, correlationData: Buffer.from(r.id) },
      },
    );
    this.opts.metrics.resends.inc();
  }
}

function toWork(kind: string, payload: Buffer): SinkWork {
  const empty: SinkWork = { readings: [], aggregates: [], events: [] };
  switch (kind) {
    case 'readings':
      // JSON or columnar-deflate: the decoder tells them apart by their first bytes.
      return { ...empty, readings: readingRows(decodeReadingsPayload(payload) as Record<string, unknown>) };
    case 'aggregates':
      return { ...empty, aggregates: aggregateRows(jsonObject(payload)) };
    case 'events':
      return { ...empty, events: eventRows(jsonObject(payload)) };
    default:
      throw new Error(`unexpected topic kind ${kind}`);
  }
}

function jsonObject(payload: Buffer): Record<string, unknown> {
  const v: unknown = JSON.parse(payload.toString('utf8'));
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  return v as Record<string, unknown>;
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
}
