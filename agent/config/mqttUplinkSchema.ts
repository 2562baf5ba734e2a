import { z } from 'zod';
import { configId as id, reconnectSchema } from './busSchema.js';
import { commandsSchema } from './commandsSchema.js';
import { boundedDuration } from './duration.js';
import { protocolVersionSchema } from './mqttProtocolSchema.js';
import { mqttCredentialFields, mqttSecurityCheck } from './mqttSecuritySchema.js';
import { payloadSchema } from './payloadSchema.js';
import { boundedSize } from './size.js';

/**
 * 128 KB: the smallest maximum packet size among the brokers stations are pointed at (AWS IoT Core;
 * Azure IoT Hub, Alibaba Cloud IoT and HiveMQ Cloud take 256 KB). A 3.1.1 broker does not announce
 * its limit: it drops the connection, and a batch over it would be retried for ever.
 */
export const DEFAULT_MAX_PACKET_BYTES = 128 * 1024;

/**
 * The settings of an MQTT uplink: its `uplinks[]` entry, which agent/uplink/mqttPlugin.ts serves
 * (schema.ts composes the union in uplinkSchemas.ts). Its own module so the config never loads the
 * uplink's runtime (mqtt.js). Semantics: docs/mqtt-contract.md. Key names are a contract.
 */

const mqttUplinkFields = z.strictObject({
  id,
  type: z.literal('mqtt'),
  url: z.string().regex(/^mqtts?:\/\/[^\s]+$/, { message: 'expected an mqtt:// or mqtts:// URL' }),
  topicPrefix: z.string().min(1).default('stations'),
  qos: z.union([z.literal(1), z.literal(2)]).default(1),
  protocolVersion: protocolVersionSchema,
  clientId: z.string().min(1).optional(),
  ...mqttCredentialFields,
  keepalive: boundedDuration(1000, 3_600_000).default(30_000),
  batch: z
    .strictObject({
      maxReadings: z.number().int().min(1).max(10_000).default(500),
      maxDelay: boundedDuration(0, 3_600_000).default(2000),
      maxBytes: boundedSize(4 * 1024, 256 * 1024 ** 2)
        .default(DEFAULT_MAX_PACKET_BYTES)
        .meta({
          description:
            'Largest MQTT packet the uplink sends (default 128KB): a batch that would be larger carries fewer rows. An MQTT 5 broker that announces a smaller maximum packet size is held to that',
        }),
    })
    .prefault({}),
  maxInFlight: z.number().int().min(1).max(64).default(4),
  reconnect: reconnectSchema.prefault({}),
  historicalAfter: boundedDuration(1000, 30 * 86_400_000)
    .default(300_000)
    .meta({ description: 'A batch whose first reading is older than this is marked historical' }),
  commands: commandsSchema.prefault({}),
  payload: payloadSchema.prefault({}),
});
export const mqttUplinkSchema = mqttUplinkFields.superRefine(...mqttSecurityCheck);

export type MqttUplinkConfig = z.output<typeof mqttUplinkSchema>;
