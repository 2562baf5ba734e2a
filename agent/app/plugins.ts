import type { BuiltBusTypes, BusType, DriverPlugin, DriverPluginList } from '../acquisition/driverPlugin.js';
import type { UplinkConfig } from '../config/schema.js';
import type { BacklogQueries } from '../store/backlogQueries.js';
import type { CursorLookup, UplinkBounds } from '../store/confirmedBounds.js';
import type { BacklogLine, CursorTable } from '../uplink/backlogLine.js';
import { hj212UplinkPlugin } from '../uplink/hj212/hj212Plugin.js';
import { mqttUplinkPlugin } from '../uplink/mqttPlugin.js';
import type { UplinkContextOf, UplinkPlugin, UplinkPluginList } from '../uplink/uplinkPlugin.js';
import { asciiDriverPlugin } from './asciiPlugin.js';
import { dlt645DriverPlugin } from './dlt645Plugin.js';
import { hj212InputDriverPlugin } from './hj212InputPlugin.js';
import { listenDriverPlugin } from './listenPlugin.js';
import { modbusDriverPlugin } from './modbusPlugin.js';

/**
 * The uplink plugins the agent is built with: one line per uplink type. UplinkPluginList has a key
 * for every type of the config's uplink union, so a type without its plugin here does not compile.
 * `satisfies` keeps each plugin's own type, from which UplinkContext takes what each needs.
 */
export const UPLINK_PLUGINS = {
  mqtt: mqttUplinkPlugin,
  hj212: hj212UplinkPlugin,
} as const satisfies UplinkPluginList;

/** What the composition root (stationAgent.ts) gives the uplinks: the base context and every plugin's needs. */
export type UplinkContext = UplinkContextOf<typeof UPLINK_PLUGINS>;

/** The plugin of a configured uplink. */
export function uplinkPlugin(u: UplinkConfig): UplinkPlugin<UplinkConfig, UplinkContext> {
  // The list is keyed by type, so the plugin found serves exactly this config's type.
  return UPLINK_PLUGINS[u.type] as UplinkPlugin<UplinkConfig, UplinkContext>;
}

/** The store budget's bound rule (store/confirmedBounds.ts): each uplink's plugin decides. */
export function uplinkBounds(u: UplinkConfig, lookup: CursorLookup): UplinkBounds {
  return uplinkPlugin(u).confirmedBounds(u, lookup);
}

/** What `station-agent backlog` shows for a configured uplink: its plugin decides. */
export function uplinkBacklogLines(
  u: UplinkConfig,
  queries: BacklogQueries,
  cursors: CursorTable,
): BacklogLine[] {
  return uplinkPlugin(u).backlogLines(u, queries, cursors);
}

/**
 * The driver plugins the agent is built with, one line per field protocol (agent/acquisition/driverPlugin.ts).
 * Asked in order for a device's driver, so Modbus, which claims every device, is last. Every bus
 * type of the config must be built by some plugin here: DriverListCovers fails to compile otherwise.
 */
export const DRIVER_PLUGINS = [
  listenDriverPlugin,
  asciiDriverPlugin,
  hj212InputDriverPlugin,
  dlt645DriverPlugin,
  modbusDriverPlugin,
] as const satisfies DriverPluginList;

/** Compiles only when the list builds every bus type of the config (tests/types/driverPlugin.typetest.ts). */
export type DriverListCovers<L extends DriverPluginList> = [Exclude<BusType, BuiltBusTypes<L>>] extends [
  never,
]
  ? true
  : { missingBusTypes: Exclude<BusType, BuiltBusTypes<L>> };
/** The compile-time check that DRIVER_PLUGINS builds every bus type (false is not assignable to a miss). */
export const DRIVER_BUSES_COVERED: DriverListCovers<typeof DRIVER_PLUGINS> = true;

/** Re-exported so callers name the plugin type with the list. */
export type { DriverPlugin };
