/**
 * Type-level checks of the uplink plugin seam (issue 15), compiled by `tsc -p tsconfig.json` and by
 * tests/unit/app/uplinkPluginTypes.test.ts: each `@ts-expect-error` marks code that must NOT
 * compile; tsc fails on a directive whose line compiles (TS2578), so a seam that stops catching the
 * mistake fails the type check. Never imported at run time.
 */
import type { MqttUplinkConfig } from '../../agent/config/schema.js';
import { hj212UplinkPlugin } from '../../agent/uplink/hj212/hj212Plugin.js';
import { mqttUplinkPlugin } from '../../agent/uplink/mqttPlugin.js';
import type { UplinkPlugin, UplinkPluginList } from '../../agent/uplink/uplinkPlugin.js';

// A plugin without confirmed bounds: its unsent rows would count as confirmed and be evicted.
// @ts-expect-error confirmedBounds is required
export const withoutBounds: UplinkPlugin<MqttUplinkConfig> = {
  type: 'mqtt',
  create: mqttUplinkPlugin.create,
};

// A plugin that cannot build its uplink.
// @ts-expect-error create is required
export const withoutFactory: UplinkPlugin<MqttUplinkConfig> = { type: 'mqtt', confirmedBounds: () => ({}) };

// A plugin that serves another type than it claims.
// @ts-expect-error the type must be the config's
export const wrongType: UplinkPlugin<MqttUplinkConfig> = { ...mqttUplinkPlugin, type: 'hj212' };

// The list the agent is built with needs a plugin for every uplink type of the config.
// @ts-expect-error hj212 is missing
export const incomplete: UplinkPluginList = { mqtt: mqttUplinkPlugin };

// ...and each under its own type.
// @ts-expect-error the HJ 212 plugin cannot serve mqtt configs
export const swapped: UplinkPluginList = { mqtt: hj212UplinkPlugin, hj212: hj212UplinkPlugin };

// The complete list compiles.
export const complete: UplinkPluginList = { mqtt: mqttUplinkPlugin, hj212: hj212UplinkPlugin };
