import { connect as netConnect, type Socket, type TcpNetConnectOpts } from 'node:net';
import type { CodecOptions } from '../../../drivers/hj212/codec.js';
import { dataUpload, type StationIdentity } from '../../../drivers/hj212/messages.js';
import { createQnGenerator, type QnSource } from '../../../drivers/hj212/qn.js';
import { sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import { PeriodCalendar } from '../../aggregation/periods.js';
import { type Hj212UplinkConfig, heartbeatMs } from '../../config/hj212Schema.js';
import type { AggregationConfig } from '../../config/qualitySchema.js';
import type { StationConfig } from '../../config/schema.js';
import { type Backoff, createBackoff } from '../../core/backoff.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { MetricsSink } from '../../core/metricsSink.js';
import type { StoredReading } from '../../core/reading.js';
import type { AggregateStore, StoredAggregate } from '../../store/aggregateStore.js';
import type { Outbox } from '../../store/outbox.js';
import type { ReadingStore } from '../../store/readingStore.js';
import type { UplinkSettingsStore } from '../../store/uplinkSettings.js';
import type { Batch } from '../batchTracker.js';
import { OutboxPump } from '../outboxPump.js';
import { aggregateSource } from '../outboxSource.js';
import type { PumpedStream } from '../outboxStream.js';
import type { Uplink, UplinkStats } from '../uplink.js';
import { LastConnectionError } from '../uplinkError.js';
import { backfillStarts } from './backfill.js';
import { CommandHandler } from './commandHandler.js';
import { type ExchangeTiming, Hj212Link } from './hj212Link.js';
import { dial, LinkUpkeep } from './linkUpkeep.js';
import { LiveSettings } from './liveSettings.js';
import { toMinuteBlocks } from './minuteBlocks.js';
import { RealtimeGate } from './realtimeGate.js';
import { ReceivedVariants } from './receivedVariants.js';
import { StreamPair } from './streamPair.js';
import { setSystemClock } from './systemClock.js';
import {
  aggregateMessages,
  FactorOwners,
  realtimeMessages,
  rtdIntervalEnd,
  type UploadMessage,
} from './uploadMessages.js';

export interface Hj212UplinkDeps {
  config: Hj212UplinkConfig;
  station: Pick<StationConfig, 'devices'> & { timezone: string; aggregation: AggregationConfig };
  readings: ReadingStore;
  aggregates: AggregateStore;
  cursors: Outbox;
  settings: UplinkSettingsStore;
  clock: Clock;
  log: Logger;
  /** Opens the TCP connection; tests may wrap it. */
  connect?: (opts: TcpNetConnectOpts) => Socket;
  random?: () => number;
  /** Applies a platform's 1012 when `applyTimeSet` is on. */
  setSystemTime?: (ms: number) => Promise<void>;
  /** Counts what the platform's frames looked like (receivedVariants.ts). */
  metrics?: Pick<MetricsSink, 'hj212FrameVariant'>;
}

const READINGS_PER_BATCH = 5000;
const AGGREGATES_PER_BATCH = 2000;
/** stop(): how long answers to in-flight uploads are awaited. */
const STOP_DRAIN_MS = 1000;

/**
 * An HJ 212 uplink: one TCP connection to one platform, real-time snapshots (2011) and minute/hour/
 * day records (2051/2061/2031) from the store with their own cursors, the backlog re-sent beside
 * new data (RF=1 under 2025), platform commands answered from the store. docs/hj212.md.
 */
export class Hj212Uplink implements Uplink {
  readonly id: string;
  private readonly deps: Hj212UplinkDeps;
  private readonly settings: LiveSettings;
  private readonly codec: CodecOptions = {};
  private readonly qn: QnSource;
  private readonly calendar: PeriodCalendar;
  private readonly owners: FactorOwners;
  private readonly gate: RealtimeGate;
  private readonly realtime: StreamPair<StoredReading> | null;
  private readonly aggregates: StreamPair<StoredAggregate> | null;
  private readonly pump: OutboxPump;
  private readonly backoff: Backoff;
  private readonly commands: CommandHandler;
  private readonly received: ReceivedVariants;
  private readonly lastError: LastConnectionError;
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private link: Hj212Link | null = null;
  private socket: Socket | null = null;
  private failures = 0;
  private reconnectTimer: TimerHandle | null = null;
  private readonly upkeep: LinkUpkeep;
  private stopping: Promise<void> | null = null;

  constructor(deps: Hj212UplinkDeps) {
    const { config, station, clock, log } = deps;
    this.deps = deps;
    this.id = config.id;
    this.lastError = new LastConnectionError(clock);
    this.settings = new LiveSettings(config, deps.settings, () => clock.now(), log);
    this.useKey(this.settings.sm4Key);
    this.received = new ReceivedVariants({
      uplink: config.id,
      log,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
    this.qn = createQnGenerator({ clock, timeZone: station.timezone });
    this.calendar = new PeriodCalendar(station.timezone);
    this.owners = new FactorOwners(station.devices, config.id);
    const intervalEnd = (ts: number) => rtdIntervalEnd(this.calendar, ts, this.settings.rtdIntervalMs);
    this.gate = new RealtimeGate({
      store: deps.readings,
      clock,
      log,
      intervalEnd,
      intervalMs: () => this.settings.rtdIntervalMs,
    });
    const common = { uplinkId: config.id, cursors: deps.cursors, settings: deps.settings, clock, log };
    const starts = backfillStarts(config.backfill, deps.readings, deps.aggregates, clock);
    const send = new Set(config.send);
    this.realtime = send.has('realtime')
      ? new StreamPair<StoredReading>({
          ...common,
          name: 'realtime',
          source: this.gate,
          groupOf: (r) => intervalEnd(r.ts),
          maxRows: READINGS_PER_BATCH,
          ...(starts ? { firstRun: starts.realtime } : {}),
          send: (rows, resend) => this.sendRealtime(rows, resend),
        })
      : null;
    this.aggregates =
      send.has('minute') || send.has('hour') || send.has('day')
        ? new StreamPair<StoredAggregate>({
            ...common,
            name: 'aggregates',
            source: aggregateSource(deps.aggregates),
            groupOf: (a) => `${a.period}@${a.start}`,
            maxRows: AGGREGATES_PER_BATCH,
            ...(starts ? { firstRun: starts.aggregates } : {}),
            send: (rows, resend) => this.sendAggregates(rows, resend),
          })
        : null;
    const streams: PumpedStream[] = [];
    // Live streams first: in a round where several are due, new data goes on the wire first.
    for (const pair of [this.realtime, this.aggregates]) if (pair) streams.push(pair.live);
    for (const pair of [this.realtime, this.aggregates]) if (pair) streams.push(pair.backlog);
    this.pump = new OutboxPump({ streams, clock, onFailed: (s, b, err) => this.onSendFailed(s, b, err) });
    this.backoff = createBackoff({
      minMs: config.reconnect.min,
      maxMs: config.reconnect.max,
      random: deps.random,
    });
    this.commands = new CommandHandler({
      version: config.version,
      identity: () => this.identity(),
      settings: this.settings,
      qn: this.qn,
      clock,
      timeZone: station.timezone,
      log,
      history: {
        readings: deps.readings,
        aggregates: deps.aggregates,
        owners: this.owners,
        calendar: this.calendar,
        blocks: this.blockRules(),
        insufficientFlag: config.insufficientDataFlag,
      },
      historyMaxRecords: config.historyMaxRecords,
      ack: config.ack,
      timing: () => this.timing(),
      setSystemTime: config.applyTimeSet ? (deps.setSystemTime ?? setSystemClock) : undefined,
      onKey: (key) => this.useKey(key),
      write: (seg) => this.link?.write(seg),
      send: (seg, answer) => this.sendOnLink(seg, answer),
    });
    this.upkeep = new LinkUpkeep({
      uplinkId: config.id,
      heartbeatMs: heartbeatMs(config),
      ack: config.ack,
      rotateMs: config.encryption?.rotate ?? 0,
      timeZone: station.timezone,
      settings: this.settings,
      identity: () => this.identity(),
      timing: () => this.timing(),
      qn: this.qn,
      clock,
      log,
    });
  }

  start(): void {
    if (this.state !== 'idle') throw new Error(`uplink ${this.id} was already started`);
    this.gate.start();
    this.pump.start();
    this.state = 'running';
    this.connect();
  }

  stop(): Promise<void> {
    if (this.state === 'idle') this.state = 'stopped';
    if (this.state === 'stopped') return this.stopping ?? Promise.resolve();
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  stats(): UplinkStats {
    const rt = this.realtime?.stats();
    const ag = this.aggregates?.stats();
    const all = [rt?.live, rt?.backlog, ag?.live, ag?.backlog].filter((s) => s !== undefined);
    const lastConfirmAt = Math.max(...all.map((s) => s.lastConfirmAt ?? Number.NEGATIVE_INFINITY));
    return {
      connected: this.link?.open ?? false,
      backlog: (rt?.live.backlog ?? 0) + (rt?.backlog.backlog ?? 0),
      oldestUnsentTs: rt?.backlog.oldestUnsentTs ?? rt?.live.oldestUnsentTs ?? null,
      inFlight: all.reduce((n, s) => n + s.inFlight, 0),
      published: (rt?.live.published ?? 0) + (rt?.backlog.published ?? 0),
      confirmed: (rt?.live.confirmed ?? 0) + (rt?.backlog.confirmed ?? 0),
      lastConfirmAt: Number.isFinite(lastConfirmAt) ? lastConfirmAt : null,
      aggregatesBacklog: (ag?.live.backlog ?? 0) + (ag?.backlog.backlog ?? 0),
      lastError: this.lastError.current,
    };
  }

  private identity(): StationIdentity {
    const { config } = this.deps;
    return { version: config.version, st: config.st, pw: this.settings.pw, mn: config.mn };
  }

  private timing(): ExchangeTiming {
    return { timeoutMs: this.settings.timeoutMs, retries: this.settings.retries };
  }

  private blockRules() {
    return {
      calendar: this.calendar,
      rules: this.deps.station.aggregation,
      byRange: this.deps.aggregates.byRange.bind(this.deps.aggregates),
    };
  }

  private useKey(key: string | undefined): void {
    if (key === undefined) return;
    // Mutated in place: the link's decoder and encoder hold this very object.
    this.codec.sm4 = { key: sm4KeyFromText(key), ...this.deps.config.encryption?.layout };
  }

  private sendOnLink(seg: Parameters<Hj212Link['send']>[0], answer: ExchangeTiming | null): Promise<void> {
    const link = this.link;
    if (link === null) return Promise.reject(new Error('not connected'));
    return link.send(seg, answer);
  }

  /** One batch's messages, pipelined: each waits for its own answer (matched by QN). */
  private async sendMessages(messages: UploadMessage[], resend: boolean): Promise<void> {
    const { ack } = this.deps.config;
    await Promise.all(
      messages.map((m) =>
        this.sendOnLink(
          dataUpload(this.identity(), { ...m, qn: this.qn.next(), ack, resend }),
          ack ? this.timing() : null,
        ),
      ),
    );
  }

  private sendRealtime(rows: StoredReading[], resend: boolean): Promise<void> {
    // Stopped by the platform (2012): the rows stay in the store for history, nothing is sent.
    if (!this.settings.realtimeOn) return Promise.resolve();
    const opts = { owners: this.owners, calendar: this.calendar, intervalMs: this.settings.rtdIntervalMs };
    return this.sendMessages(realtimeMessages(rows, opts), resend);
  }

  private sendAggregates(rows: StoredAggregate[], resend: boolean): Promise<void> {
    const { config, station } = this.deps;
    const records = toMinuteBlocks(rows, this.settings.minIntervalMin, this.blockRules());
    const messages = aggregateMessages(records, {
      owners: this.owners,
      timeZone: station.timezone,
      send: new Set(config.send),
      insufficientFlag: config.insufficientDataFlag,
    });
    return this.sendMessages(messages, resend);
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.state !== 'running') return;
    const { config, clock } = this.deps;
    const socket = dial({
      connect: this.deps.connect ?? netConnect,
      host: config.host,
      port: config.port,
      clock,
      timeoutMs: Math.max(5000, this.settings.timeoutMs),
      onOpen: (s) => this.onConnected(s),
      onFail: (reason) => {
        if (this.socket === socket) this.socket = null;
        this.scheduleReconnect(reason);
      },
    });
    this.socket = socket;
  }

  private onConnected(socket: Socket): void {
    const { clock, log, config } = this.deps;
    const link = new Hj212Link(socket, this.codec, this.qn, clock, {
      onReceived: (ev) => this.received.note(ev),
      onFrame: (seg) => this.commands.onFrame(seg),
      onRejection: (rej) => this.commands.onRejection(rej),
      onClose: (reason) => this.onLinkClosed(link, reason),
    });
    if (this.state !== 'running') {
      link.close('stopping');
      return;
    }
    this.link = link;
    let backlog: Record<string, unknown>;
    try {
      backlog = {
        realtime: this.realtime?.beginConnection() ?? null,
        aggregates: this.aggregates?.beginConnection() ?? null,
      };
      this.pump.open();
    } catch (err) {
      log.error({ err, uplink: this.id }, 'HJ 212 uplink cannot read its cursors; disconnecting');
      link.close('cursor unreadable');
      return;
    }
    this.failures = 0;
    this.lastError.connected();
    this.backoff.reset();
    log.info(
      { uplink: this.id, platform: `${config.host}:${config.port}`, backlog },
      'HJ 212 uplink connected',
    );
    this.pump.pump();
    this.upkeep.start(link);
  }

  private onLinkClosed(link: Hj212Link, reason: string): void {
    if (this.link !== link) return;
    this.link = null;
    this.socket = null;
    this.pump.close();
    this.upkeep.stop();
    this.scheduleReconnect(reason, true);
  }

  private scheduleReconnect(reason: string, wasConnected = false): void {
    if (this.state !== 'running' || this.reconnectTimer !== null) return;
    if (wasConnected) this.lastError.failed(`connection lost: ${reason}`, 'UPLINK_CONNECTION_LOST');
    else this.lastError.failed(reason, 'UPLINK_CONNECT_FAILED');
    this.failures++;
    const delay = this.backoff.next();
    this.reconnectTimer = this.deps.clock.setTimeout(() => this.connect(), delay);
    // One warning per outage; repeated failed attempts only at debug level.
    const level = wasConnected || this.failures === 1 ? 'warn' : 'debug';
    this.deps.log[level](
      { uplink: this.id, reason, retryInMs: delay, attempts: this.failures },
      'HJ 212 uplink disconnected',
    );
  }

  /** Only for batches of the current connection (a stream ignores failures of dropped ones). */
  private onSendFailed(stream: string, batch: Batch, err: unknown): void {
    this.deps.log.warn(
      {
        err,
        code: 'UPLINK_PUBLISH_FAILED',
        uplink: this.id,
        stream,
        firstSeq: batch.firstSeq,
        lastSeq: batch.lastSeq,
      },
      'HJ 212 upload not answered; reconnecting to resend from the cursor',
    );
    this.link?.close('upload not answered');
  }

  private async shutdown(): Promise<void> {
    const { clock, log } = this.deps;
    this.state = 'stopping';
    this.pump.stop();
    this.gate.stop();
    this.upkeep.stop();
    if (this.reconnectTimer !== null) clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.link !== null && this.pump.awaiting > 0) {
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(resolve, STOP_DRAIN_MS);
        void this.pump.drained().then(() => {
          clock.clearTimeout(timer);
          resolve();
        });
      });
    }
    const link = this.link;
    this.link = null;
    link?.close('stopping');
    this.socket?.destroy();
    this.pump.close();
    this.state = 'stopped';
    log.info({ uplink: this.id }, 'HJ 212 uplink stopped');
  }
}
