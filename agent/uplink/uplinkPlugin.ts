import type { UplinkConfig } from '../config/schema.js';
import type { CursorLookup, UplinkBounds } from '../store/confirmedBounds.js';

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
}

/** One plugin per uplink type of the config, keyed by type. */
export type UplinkPluginList = {
  readonly [K in UplinkConfig['type']]: UplinkPlugin<Extract<UplinkConfig, { type: K }>>;
};
