import { z } from 'zod';

/**
 * `uplinks[].protocolVersion` of an MQTT uplink: which MQTT version the agent speaks to the broker
 * (docs/mqtt-contract.md, "Protocol version"). Kept apart from schema.ts with the other MQTT-only
 * settings. `auto` asks for MQTT 5 and falls back to 3.1.1 when the broker refuses it.
 */
export const MQTT_PROTOCOL_SETTINGS = ['auto', '5', '3.1.1'] as const;
export type MqttProtocolSetting = (typeof MQTT_PROTOCOL_SETTINGS)[number];

export const protocolVersionSchema = z
  // YAML reads `5` as a number and `3.1.1` as text; "5" quoted is accepted as well.
  .union([z.literal('auto'), z.literal(5), z.literal('5'), z.literal('3.1.1')], {
    error: 'expected auto, 5 or 3.1.1 (MQTT 3.1.1 is written 3.1.1, not 4)',
  })
  .transform((v): MqttProtocolSetting => (v === 5 ? '5' : v))
  .default('auto')
  .meta({
    description:
      'MQTT version: auto (MQTT 5, and 3.1.1 when the broker refuses 5), 5, or 3.1.1 for brokers that ' +
      'speak only 3.1.1 (RabbitMQ before 3.13, EMQ X 2.x, some cloud IoT hubs); under 3.1.1 command ' +
      'replies go only to reply/{name}',
  });
