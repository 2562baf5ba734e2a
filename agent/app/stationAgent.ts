import { createDeviceAcquisition, type DeviceAcquisition } from '../acquisition/deviceAcquisition.js';
import { Aggregator, aggregationChannels } from '../aggregation/aggregator.js';
import { auditConfig, type ConfigOrigin } from '../audit/configAudit.js';
import type { StationConfig } from '../config/schema.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { MetricsSink } from '../core/metricsSink.js';
import type { StoredReading } from '../core/reading.js';
import { type FacilityAlarmEvent, openAlarms } from '../facilities/facilityEvents.js';
import { FacilityMonitor } from '../facilities/facilityMonitor.js';
import type { AgentStatus, StationView } from '../http/stationView.js';
import { MaintenanceSchedule } from '../quality/calibrationWindows.js';
import { DeviceQuality } from '../quality/deviceQuality.js';
import { AggregateStore } from '../store/aggregateStore.js';
import { lastAuditEntry } from '../store/auditChain.js';
import { BufferedAppender } from '../store/bufferedAppender.js';
import { ChannelTrendReader, type TrendPoint } from '../store/channelTrend.js';
import { CommitCoalescer } from '../store/commitCoalescer.js';
import { EventStore, type StationEvent, type StoredEvent } from '../store/eventStore.js';
import { InputSeenStore } from '../store/inputSeenStore.js';
import { LoggerAggregateStore } from '../store/loggerAggregateStore.js';
import { openStationDatabase, type StationDatabase } from '../store/openStationDatabase.js';
import { Outbox } from '../store/outbox.js';
import { type MinuteMean, ReadingStore } from '../store/readingStore.js';
import { StoreBudget } from '../store/storeBudget.js';
import { readStoreIdentity } from '../store/storeIdentity.js';
import { UplinkSettingsStore } from '../store/uplinkSettings.js';
import type { AgentControl } from '../uplink/agentControl.js';
import { birthInfo } from '../uplink/birthPayload.js';
import type { Uplink } from '../uplink/uplink.js';
import { createBus, type FieldBus } from './createBus.js';
import { createPollerFor } from './createPoller.js';
import { createUplink, type UplinkContext } from './createUplink.js';
import { type LinkEvent, LinkWatch } from './linkWatch.js';
import { uplinkBounds } from './plugins.js';
import type { ConfigAppliedEvent } from './stationEvents.js';

export type { AgentStatus } from '../http/stationView.js';

/**
 * The composition root: builds every component from the config and wires
 * acquisition → store → uplinks. Nothing else in the agent constructs components.
 */
export interface StationAgentDeps {
  config: StationConfig;
  /** sha256 of the config file, carried in status so a platform can tell which config is running. */
  configHash: string;
  clock: Clock;
  log: Logger;
  /** Remote commands reach the process-level owner (agentSupervisor.ts) through this; without one, noAgentControl. */
  control: AgentControl;
  /** Counters for /metrics, owned by the supervisor so they survive reloads; without them, noMetrics. */
  metrics: MetricsSink;
  /** How this config came in, for the audit log (agent/audit); a plain start when absent. */
  origin?: ConfigOrigin;
  /** A statement met a damaged database file at run time (once); `run` exits so the next start sets it aside. */
  onStoreCorrupt?: (err: Error) => void;
}

export class StationAgent implements StationView {
  private readonly deps: StationAgentDeps;
  private readonly buses = new Map<string, FieldBus>();
  private readonly devices: DeviceAcquisition[] = [];
  private readonly uplinks: Uplink[] = [];
  private readonly database: StationDatabase;
  private readonly db: StationDatabase['db'];
  private readonly store: ReadingStore;
  private readonly trend: ChannelTrendReader;
  private readonly aggregates: AggregateStore;
  private readonly aggregator: Aggregator;
  private readonly events: EventStore;
  private readonly budget: StoreBudget;
  /** Acquisition appends through it: a full store queues readings instead of losing them. */
  private readonly appender: BufferedAppender;
  /** Group commit in front of the appender: polls that end close together share one transaction. */
  private readonly coalescer: CommitCoalescer;
  private readonly linkWatch: LinkWatch;
  private readonly schedule: MaintenanceSchedule;
  private readonly qualities = new Map<string, DeviceQuality>();
  private readonly facilities: FacilityMonitor;
  private facilityTimer: TimerHandle | null = null;
  private unsubscribeAggregator: (() => void) | null = null;
  private unsubscribeFacilities: (() => void) | null = null;
  private stopped = false;

  constructor(deps: StationAgentDeps) {
    this.deps = deps;
    const { config, clock, log } = deps;
    // A damaged or foreign file is set aside and a new one started (a store-set-aside event in it).
    this.database = openStationDatabase({
      path: config.storage.path,
      synchronous: config.storage.synchronous,
      log,
      clock,
      ...(deps.onStoreCorrupt ? { onCorrupt: deps.onStoreCorrupt } : {}),
    });
    this.db = this.database.db;
    if (this.database.setAside !== null) deps.metrics.storeSetAside?.();
    this.store = new ReadingStore({ db: this.db, log });
    this.trend = new ChannelTrendReader(this.db);
    const cursors = new Outbox({ db: this.db });

    // Pushed drivers (the HJ 212 input) keep their dedupe memory and the logger's own records here.
    const seen = new InputSeenStore({ db: this.db, clock });
    const loggerAggregates = new LoggerAggregateStore({ db: this.db, clock });
    for (const bus of config.buses) {
      this.buses.set(
        bus.id,
        createBus(bus, {
          clock,
          log: log.child({ bus: bus.id }),
          timeZone: config.station.timezone,
          seen,
          keepDeviceAggregates: (records) => loggerAggregates.keep(records),
        }),
      );
    }
    this.aggregates = new AggregateStore({ db: this.db, log });
    const events = new EventStore({ db: this.db, log });
    this.events = events;
    this.budget = new StoreBudget({
      db: this.db,
      storage: config.storage,
      uplinks: config.uplinks,
      boundsOf: uplinkBounds,
      events,
      clock,
      log: log.child({ component: 'store-budget' }),
      metrics: deps.metrics,
    });
    this.appender = new BufferedAppender({
      store: this.store,
      budget: this.budget,
      clock,
      log: log.child({ component: 'store' }),
      metrics: deps.metrics,
    });
    this.coalescer = new CommitCoalescer({
      sink: this.appender,
      clock,
      windowMs: config.storage.commitWindow,
      log: log.child({ component: 'store' }),
    });
    this.linkWatch = new LinkWatch({
      buses: [...this.buses.values()],
      clock,
      record: (event) => this.recordEvent(event),
    });
    this.schedule = new MaintenanceSchedule(config.maintenance, config.station.timezone);

    for (const device of config.devices) {
      if (!device.enabled) continue;
      const bus = this.buses.get(device.bus);
      const busConfig = config.buses.find((b) => b.id === device.bus);
      if (!bus || !busConfig) continue; // the schema guarantees the bus exists
      const deviceLog = log.child({ device: device.id });
      const quality = new DeviceQuality({
        device,
        schedule: this.schedule,
        settlingMs: config.maintenance.settling,
      });
      this.qualities.set(device.id, quality);
      this.devices.push(
        createDeviceAcquisition({
          device,
          poller: createPollerFor(device, bus, busConfig, { clock, log: deviceLog }),
          quality,
          clock,
          store: this.coalescer,
          log: deviceLog,
          metrics: deps.metrics,
          onLinkChange: (change) =>
            this.recordEvent<LinkEvent>(
              change.lost
                ? { kind: 'link-lost', bus: device.bus, device: device.id, code: change.error.code }
                : { kind: 'link-restored', bus: device.bus, device: device.id, downMs: change.downMs },
            ),
        }),
      );
    }
    const intervals = new Map(config.devices.map((d) => [d.id, d.interval]));
    this.facilities = new FacilityMonitor({
      facilities: config.facilities,
      intervalOf: (device) => intervals.get(device),
      record: (event) => this.recordEvent<FacilityAlarmEvent>(event),
    });
    this.aggregator = new Aggregator({
      // The facilities' run-state and alarm channels are aggregated like measured ones (docs/facilities.md).
      channels: [
        ...aggregationChannels(config),
        ...this.facilities
          .channels()
          .map((c) => ({ ...c, code: null, unit: null, cumulative: false as const })),
      ],
      rules: config.aggregation,
      timeZone: config.station.timezone,
      aggregates: this.aggregates,
      readings: this.store,
      events,
      clock,
      log: log.child({ component: 'aggregator' }),
    });
    // MQTT and HJ 212 uplinks alike, any number of each, each with its own cursors. The context
    // holds what every plugin of agent/app/plugins.ts needs (UplinkContext): leaving one out does not compile.
    const uplinkContext: UplinkContext = {
      station: config,
      readings: this.store,
      aggregates: this.aggregates,
      cursors,
      settings: new UplinkSettingsStore({ db: this.db, clock }),
      clock,
      log,
      events,
      birth: birthInfo(config, deps.configHash, readStoreIdentity(this.db).dbId),
      origin: { cfg: deps.configHash, db: readStoreIdentity(this.db).dbId },
      control: deps.control,
      metrics: deps.metrics,
    };
    for (const uplink of config.uplinks) this.uplinks.push(createUplink(uplink, uplinkContext));
  }

  start(): void {
    const { log, config, configHash, clock } = this.deps;
    log.info(
      { station: config.station.id, devices: this.devices.length, uplinks: this.uplinks.length, configHash },
      'station agent starting',
    );
    // Operators see in the event log which configuration is running since when (also after a reload).
    this.recordEvent<ConfigAppliedEvent>({
      kind: 'config-applied',
      configHash,
      devices: this.devices.length,
    });
    auditConfig(this.db, { config, configHash, origin: this.deps.origin ?? { source: 'start' }, clock, log });
    this.budget.start();
    this.primeQuality();
    // restore() inside start() replays stored readings; add() must follow with nothing committed between.
    this.aggregator.start();
    this.unsubscribeAggregator = this.store.onCommitted((readings) => this.aggregator.add(readings));
    this.startFacilities();
    for (const uplink of this.uplinks) uplink.start();
    for (const [busId, bus] of this.buses) {
      bus.start();
      // Each line's devices start once it is connected, or after one timeout at the most: a dead
      // line then yields B readings on schedule, and one slow line never delays the others.
      const devices = this.devices.filter((d) => d.bus === busId);
      void bus.ready(bus.timeoutMs).then(() => {
        if (this.stopped) return;
        for (const device of devices) device.start();
      });
    }
    this.linkWatch.start();
  }

  /** Stops polling first (a poll in progress is committed), then the uplinks, then the store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.linkWatch.stop();
    if (this.facilityTimer !== null) this.deps.clock.clearTimeout(this.facilityTimer);
    await Promise.allSettled(this.devices.map((d) => d.stop()));
    // The last polls' readings are committed while the aggregator still listens and the store is open.
    this.coalescer.stop();
    await Promise.allSettled([...this.buses.values()].map((b) => b.stop()));
    this.unsubscribeAggregator?.();
    this.unsubscribeFacilities?.();
    this.aggregator.stop();
    this.schedule.close();
    await Promise.allSettled(this.uplinks.map((u) => u.stop()));
    this.budget.stop();
    this.database.close();
    this.deps.log.info('station agent stopped');
  }

  /**
   * The facility monitor hears every committed reading (any driver) and stores the run-state and
   * alarm readings it derives; alarms open at the last stop come back from the stored events.
   */
  private startFacilities(): void {
    if (this.deps.config.facilities.length === 0) return;
    const { clock } = this.deps;
    const stored = [
      ...this.events.since('facility-alarm-start', 0),
      ...this.events.since('facility-alarm-end', 0),
    ];
    this.facilities.restore(openAlarms(stored));
    this.unsubscribeFacilities = this.store.onCommitted((readings) => {
      const derived = this.facilities.ingest(readings);
      // Appended after this commit's listeners have run, never from inside one; the derived readings
      // are of the virtual devices, which the monitor does not watch, so they feed nothing back.
      if (derived.length > 0) {
        queueMicrotask(() => {
          if (this.stopped) return;
          // The measured readings are stored already; only the derived ones are lost: say so.
          this.coalescer.append(derived).catch((err: unknown) => {
            this.deps.log.error(
              { err, readings: derived.length },
              'could not store facility run-state readings',
            );
          });
        });
      }
    });
    const tick = () => {
      this.facilities.tick(clock.now());
      this.facilityTimer = clock.setTimeout(tick, 1000);
    };
    this.facilityTimer = clock.setTimeout(tick, 1000);
  }

  /**
   * After a restart, spike/rate/flat-line history and settling come back from the stored readings,
   * so a restart neither hides a flat line nor invents a spike. One pass over the longest look-back.
   */
  private primeQuality(): void {
    const now = this.deps.clock.now();
    let lookback = 0;
    for (const q of this.qualities.values()) lookback = Math.max(lookback, q.lookbackMs);
    if (lookback <= 0) return;
    const from = this.store.firstSeqSince(now - lookback);
    if (from === null) return;
    const perDevice = new Map<string, StoredReading[]>();
    for (const r of this.store.iterateFrom(from)) {
      const q = this.qualities.get(r.device);
      if (!q || r.ts < now - q.lookbackMs) continue;
      const list = perDevice.get(r.device) ?? [];
      list.push(r);
      perDevice.set(r.device, list);
    }
    for (const [device, list] of perDevice) this.qualities.get(device)?.prime(list);
  }

  get configHash(): string {
    return this.deps.configHash;
  }

  /** The config audit log's last row (docs/audit.md): an anchor a platform or inspector can hold. */
  auditHead(): { id: number; hash: string } | null {
    if (this.stopped) return null;
    const last = lastAuditEntry(this.db);
    return last === null ? null : { id: last.id, hash: last.hash };
  }

  get config(): StationConfig {
    return this.deps.config;
  }

  /** Stores a station event; a failing write is logged, never thrown into the caller's path. */
  recordEvent<E extends StationEvent>(event: E): void {
    if (this.stopped) return;
    try {
      this.events.record(this.deps.clock.now(), event);
    } catch (err) {
      this.deps.log.error({ err, event: event.kind }, 'could not record a station event');
    }
  }

  /** The newest station events, newest first; [] once stopped (the database is closed). */
  recentEvents(limit: number): StoredEvent[] {
    return this.stopped ? [] : this.events.recent(limit);
  }

  /** Each channel's minute means since `since` (ReadingStore.minuteMeans); [] once stopped. */
  minuteMeans(since: number): MinuteMean[] {
    return this.stopped ? [] : this.store.minuteMeans(since);
  }

  /**
   * One channel's readings or minute records in [from, to), oldest first, at most `limit` (the
   * newest); the status page's trend charts. [] once stopped.
   */
  channelHistory(
    source: 'readings' | 'minutes',
    device: string,
    channel: string,
    from: number,
    to: number,
    limit: number,
  ): TrendPoint[] {
    if (this.stopped) return [];
    return this.trend[source](device, channel, from, to, limit);
  }

  status(): AgentStatus {
    // Every completed poll is committed before the figures are read (lastSeq, backlogs agree with poll counts).
    this.coalescer.flush();
    return {
      station: this.deps.config.station.id,
      devices: this.devices.map((d) => d.status()),
      uplinks: this.uplinks.map((u) => ({ id: u.id, ...u.stats() })),
      lastSeq: this.store.lastSeq(),
      storage: { ...this.budget.stats(), ...this.appender.stats() },
      facilities: this.facilities.status(),
    };
  }
}
