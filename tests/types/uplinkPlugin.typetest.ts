/**
 * Type-level checks of the uplink plugin seam (issue 15), compiled by `tsc -p tsconfig.json` and by
 * tests/unit/app/uplinkPluginTypes.test.ts: each `@ts-expect-error` marks code that must NOT
 * compile; tsc fails on a directive whose line compiles (TS2578), so a seam that stops catching the
 * mistake fails the type check. Never imported at run time.
 */
import type { UplinkContext } from '../../agent/app/plugins.js';
import type { MqttUplinkConfig } from '../../agent/config/schema.js';
import { hj212UplinkPlugin } from '../../agent/uplink/hj212/hj212Plugin.js';
import { mqttUplinkPlugin } from '../../agent/uplink/mqttPlugin.js';
import type { UplinkPlugin, UplinkPluginList } from '../../agent/uplink/uplinkPlugin.js';

const { type, schema, errorCodes, confirmedBounds, backlogLines, create } = mqttUplinkPlugin;

// A plugin without confirmed bounds: its unsent rows would count as confirmed and be evicted.
// @ts-expect-error confirmedBounds is required
export const withoutBounds: UplinkPlugin<MqttUplinkConfig> = {
  type,
  schema,
  errorCodes,
  backlogLines,
  create,
};

// A plugin that cannot build its uplink.
// @ts-expect-error create is required
export const withoutFactory: UplinkPlugin<MqttUplinkConfig> = {
  type,
  schema,
  errorCodes,
  confirmedBounds,
  backlogLines,
};

// A plugin without the schema of its uplinks[] entry.
// @ts-expect-error schema is required
export const withoutSchema: UplinkPlugin<MqttUplinkConfig> = {
  type,
  errorCodes,
  confirmedBounds,
  backlogLines,
  create,
};

// A plugin whose backlog `station-agent backlog` could not show.
// @ts-expect-error backlogLines is required
export const withoutBacklog: UplinkPlugin<MqttUplinkConfig> = {
  type,
  schema,
  errorCodes,
  confirmedBounds,
  create,
};

// A plugin that does not say which error codes it raises.
// @ts-expect-error errorCodes is required
export const withoutErrorCodes: UplinkPlugin<MqttUplinkConfig> = {
  type,
  schema,
  confirmedBounds,
  backlogLines,
  create,
};

// Error codes are the agent's stable codes (agent/core/errors.ts), not free text.
// @ts-expect-error an unknown error code
export const unknownCode: UplinkPlugin<MqttUplinkConfig> = { ...mqttUplinkPlugin, errorCodes: ['MQTT_OOPS'] };

// A plugin that serves another type than it claims.
// @ts-expect-error the type must be the config's
export const wrongType: UplinkPlugin<MqttUplinkConfig> = { ...mqttUplinkPlugin, type: 'hj212' };

// ...or names the schema of another type.
export const wrongSchema: UplinkPlugin<MqttUplinkConfig> = {
  ...mqttUplinkPlugin,
  // @ts-expect-error the schema must parse this plugin's config
  schema: hj212UplinkPlugin.schema,
};

// The list the agent is built with needs a plugin for every uplink type of the config.
// @ts-expect-error hj212 is missing
export const incomplete: UplinkPluginList = { mqtt: mqttUplinkPlugin };

// ...and each under its own type.
// @ts-expect-error the HJ 212 plugin cannot serve mqtt configs
export const swapped: UplinkPluginList = { mqtt: hj212UplinkPlugin, hj212: hj212UplinkPlugin };

// The complete list compiles.
export const complete: UplinkPluginList = { mqtt: mqttUplinkPlugin, hj212: hj212UplinkPlugin };

// The composition root's context holds what every plugin needs: without the HJ 212 plugin's
// metrics, or the MQTT plugin's control, it does not compile.
declare const full: UplinkContext;
const { metrics, ...withoutMetrics } = full;
const { control, ...withoutControl } = full;
// @ts-expect-error metrics is needed by the HJ 212 plugin
export const noMetricsContext: UplinkContext = withoutMetrics;
// @ts-expect-error control is needed by the MQTT plugin
export const noControlContext: UplinkContext = withoutControl;
export const used = [metrics, control];
