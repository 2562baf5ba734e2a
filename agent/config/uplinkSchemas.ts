import { z } from 'zod';
import { hj212UplinkSchema } from './hj212Schema.js';
import { mqttUplinkSchema } from './mqttUplinkSchema.js';

/**
 * The `uplinks[]` entry of the configuration: one schema per uplink type, each from its own module
 * (the same object its plugin carries as `schema`, agent/app/plugins.ts). Composed here and not from
 * the plugin list, because the config must not load the uplinks' runtime code; the plugin list then
 * needs one plugin per type of this union (UplinkPluginList). The order is that of config/schema.json.
 */
export const UPLINK_SCHEMAS = [mqttUplinkSchema, hj212UplinkSchema] as const;

export const uplinkSchema = z.discriminatedUnion('type', UPLINK_SCHEMAS);
