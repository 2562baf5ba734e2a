import type { UplinkConfig } from '../config/schema.js';
import type { CursorLookup, UplinkBounds } from '../store/confirmedBounds.js';
import { hj212UplinkPlugin } from '../uplink/hj212/hj212Plugin.js';
import { mqttUplinkPlugin } from '../uplink/mqttPlugin.js';
import type { UplinkPlugin, UplinkPluginList } from '../uplink/uplinkPlugin.js';

/**
 * The uplink plugins the agent is built with: one line per uplink type. UplinkPluginList has a key
 * for every type of the config's uplink union, so a type without its plugin here does not compile.
 */
export const UPLINK_PLUGINS: UplinkPluginList = {
  mqtt: mqttUplinkPlugin,
  hj212: hj212UplinkPlugin,
};

/** The plugin of a configured uplink. */
export function uplinkPlugin(u: UplinkConfig): UplinkPlugin<UplinkConfig> {
  // The list is keyed by type, so the plugin found serves exactly this config's type.
  return UPLINK_PLUGINS[u.type] as UplinkPlugin<UplinkConfig>;
}

/** The store budget's bound rule (store/confirmedBounds.ts): each uplink's plugin decides. */
export function uplinkBounds(u: UplinkConfig, lookup: CursorLookup): UplinkBounds {
  return uplinkPlugin(u).confirmedBounds(u, lookup);
}
