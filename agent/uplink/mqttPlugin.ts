import type { MqttUplinkConfig } from '../config/schema.js';
import type { UplinkPlugin } from './uplinkPlugin.js';

/** The MQTT uplink (mqttUplink.ts) as a plugin. Its cursors (mqttStreams.ts): `<id>` for readings, `<id>#aggregates`. */
export const mqttUplinkPlugin: UplinkPlugin<MqttUplinkConfig> = {
  type: 'mqtt',
  confirmedBounds: (u, lookup) => ({
    readings: lookup.cursor(u.id),
    aggregates: lookup.cursor(`${u.id}#aggregates`),
  }),
};
