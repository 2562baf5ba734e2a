import type { StationConfig, UplinkConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { MetricsSink } from '../core/metricsSink.js';
import type { AggregateStore } from '../store/aggregateStore.js';
import type { EventStore } from '../store/eventStore.js';
import type { Outbox } from '../store/outbox.js';
import type { ReadingStore } from '../store/readingStore.js';
import type { UplinkSettingsStore } from '../store/uplinkSettings.js';
import type { AgentControl } from '../uplink/agentControl.js';
import type { BatchOrigin } from '../uplink/batchOrigin.js';
import type { BirthInfo } from '../uplink/birthPayload.js';
import { Hj212Uplink } from '../uplink/hj212/hj212Uplink.js';
import { MqttUplink } from '../uplink/mqttUplink.js';
import type { Uplink } from '../uplink/uplink.js';

export interface UplinkContext {
  station: StationConfig;
  readings: ReadingStore;
  aggregates: AggregateStore;
  /** MQTT: station events, forwarded on the events topic (absent in tests). */
  events?: EventStore;
  cursors: Outbox;
  settings: UplinkSettingsStore;
  clock: Clock;
  log: Logger;
  /** MQTT: what the birth message says, and the supervisor's remote commands (absent in tests). */
  birth?: BirthInfo;
  control?: AgentControl;
  /** MQTT: the config hash and db_id every batch carries. */
  origin?: BatchOrigin;
  /** HJ 212: counts the variants of platform frames received. */
  metrics?: MetricsSink;
}

/** The uplink for one `uplinks` entry, by its type. Each keeps its own cursors in the outbox. */
export function createUplink(config: UplinkConfig, ctx: UplinkContext): Uplink {
  const log = ctx.log.child({ uplink: config.id });
  switch (config.type) {
    case 'mqtt':
      return new MqttUplink({
        config,
        stationId: ctx.station.station.id,
        store: ctx.readings,
        aggregates: ctx.aggregates,
        cursors: ctx.cursors,
        clock: ctx.clock,
        log,
        ...(ctx.events && ctx.origin ? { events: ctx.events } : {}),
        ...(ctx.birth ? { birth: ctx.birth } : {}),
        ...(ctx.control ? { control: ctx.control } : {}),
        ...(ctx.origin ? { origin: ctx.origin } : {}),
      });
    case 'hj212':
      return new Hj212Uplink({
        config,
        station: {
          devices: ctx.station.devices,
          timezone: ctx.station.station.timezone,
          aggregation: ctx.station.aggregation,
        },
        readings: ctx.readings,
        aggregates: ctx.aggregates,
        cursors: ctx.cursors,
        settings: ctx.settings,
        clock: ctx.clock,
        log,
        ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
      });
  }
}
