import { mqttUplinkSchema } from '../config/mqttUplinkSchema.js';
import type { MqttUplinkConfig } from '../config/schema.js';
import type { EventStore } from '../store/eventStore.js';
import type { AgentControl } from './agentControl.js';
import type { BatchOrigin } from './batchOrigin.js';
import type { BirthInfo } from './birthPayload.js';
import { mqttBacklogLines } from './mqttBacklog.js';
import { MqttUplink } from './mqttUplink.js';
import type { UplinkPlugin } from './uplinkPlugin.js';

/** What an MQTT uplink takes beyond the base context. */
export interface MqttUplinkNeeds {
  /** Station events, forwarded on the events topic. */
  events: EventStore;
  /** What the retained birth message says. */
  birth: BirthInfo;
  /** The supervisor's remote commands (agent/uplink/agentControl.ts; noAgentControl without one). */
  control: AgentControl;
  /** The config hash and db_id every batch carries. */
  origin: BatchOrigin;
}

/** The MQTT uplink (mqttUplink.ts) as a plugin. Its cursors (mqttStreams.ts): `<id>` for readings, `<id>#aggregates`, `<id>#events`. */
export const mqttUplinkPlugin: UplinkPlugin<MqttUplinkConfig, MqttUplinkNeeds> = {
  type: 'mqtt',
  schema: mqttUplinkSchema,
  errorCodes: [
    'UPLINK_CONNECT_FAILED',
    'UPLINK_TLS_FAILED',
    'UPLINK_AUTH_FAILED',
    'UPLINK_PROTOCOL_REFUSED',
    'UPLINK_CREDENTIALS_UNREADABLE',
    'UPLINK_CONNECTION_LOST',
    'UPLINK_PUBLISH_FAILED',
    'COMMAND_REFUSED',
    // A cursor it cannot read drops the connection with this code (mqttUplink.ts).
    'STORE_FAILED',
    // A publish topic with a wildcard (mqttStreams.ts), which the schema leaves to the uplink.
    'CONFIG_INVALID',
  ],
  confirmedBounds: (u, lookup) => ({
    readings: lookup.cursor(u.id),
    aggregates: lookup.cursor(`${u.id}#aggregates`),
  }),
  backlogLines: mqttBacklogLines,
  create: (config, ctx) =>
    new MqttUplink({
      config,
      stationId: ctx.station.station.id,
      store: ctx.readings,
      aggregates: ctx.aggregates,
      cursors: ctx.cursors,
      clock: ctx.clock,
      log: ctx.log,
      events: ctx.events,
      birth: ctx.birth,
      control: ctx.control,
      origin: ctx.origin,
    }),
};
