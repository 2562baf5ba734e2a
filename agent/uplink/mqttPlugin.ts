import type { MqttUplinkConfig } from '../config/schema.js';
import { MqttUplink } from './mqttUplink.js';
import type { UplinkPlugin } from './uplinkPlugin.js';

/** The MQTT uplink (mqttUplink.ts) as a plugin. Its cursors (mqttStreams.ts): `<id>` for readings, `<id>#aggregates`. */
export const mqttUplinkPlugin: UplinkPlugin<MqttUplinkConfig> = {
  type: 'mqtt',
  confirmedBounds: (u, lookup) => ({
    readings: lookup.cursor(u.id),
    aggregates: lookup.cursor(`${u.id}#aggregates`),
  }),
  create: (config, ctx) =>
    new MqttUplink({
      config,
      stationId: ctx.station.station.id,
      store: ctx.readings,
      aggregates: ctx.aggregates,
      cursors: ctx.cursors,
      clock: ctx.clock,
      log: ctx.log,
      ...(ctx.events && ctx.origin ? { events: ctx.events } : {}),
      ...(ctx.birth ? { birth: ctx.birth } : {}),
      ...(ctx.control ? { control: ctx.control } : {}),
      ...(ctx.origin ? { origin: ctx.origin } : {}),
    }),
};
