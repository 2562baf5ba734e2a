import type { StationConfig, UplinkConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { MetricsSink } from '../core/metricsSink.js';
import type { AggregateStore } from '../store/aggregateStore.js';
import type { CursorLookup, UplinkBounds } from '../store/confirmedBounds.js';
import type { EventStore } from '../store/eventStore.js';
import type { Outbox } from '../store/outbox.js';
import type { ReadingStore } from '../store/readingStore.js';
import type { UplinkSettingsStore } from '../store/uplinkSettings.js';
import type { AgentControl } from './agentControl.js';
import type { BatchOrigin } from './batchOrigin.js';
import type { BirthInfo } from './birthPayload.js';
import type { Uplink } from './uplink.js';

/** What the composition root offers every uplink it builds; each plugin takes what it needs. */
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

/**
 * An uplink type as the agent is built with it: what the rest of the agent needs to know about it
 * without knowing the uplink. Every member is required, so a plugin that leaves one out does not
 * compile (tests/unit/app/uplinkPluginTypes.ts checks it), and UplinkPluginList needs one plugin
 * per type of the config's uplink union. The list the agent is built with is app/plugins.ts.
 */
export interface UplinkPlugin<C extends UplinkConfig> {
  /** The config's `type` the plugin serves. */
  readonly type: C['type'];
  /**
   * Up to which reading seq and aggregate aseq this uplink has delivered everything (see
   * store/confirmedBounds.ts): rows at or below may be evicted by the store budget. Leave a table
   * out only when the uplink never sends its rows.
   */
  confirmedBounds(config: C, lookup: CursorLookup): UplinkBounds;
  /** Builds the uplink for one `uplinks` entry; `ctx.log` is already the uplink's child logger. */
  create(config: C, ctx: UplinkContext): Uplink;
}

/** One plugin per uplink type of the config, keyed by type. */
export type UplinkPluginList = {
  readonly [K in UplinkConfig['type']]: UplinkPlugin<Extract<UplinkConfig, { type: K }>>;
};
