import { z } from 'zod';
import { modbusBusSchemas } from '../../drivers/modbus/busSchemas.js';
import { listenBusSchemas } from '../../drivers/modbus/listenBus/listenBusSchema.js';
import { boundedDuration } from './duration.js';
import { hj212ServerBusSchema } from './hj212InputSchema.js';

/** Field buses of the station config: each driver declares its bus types (drivers/<protocol>/busSchemas.ts). */

/** Ids of buses, devices, channels and uplinks: they appear in topics, logs and the store. */
export const configId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected an id of letters, digits, "_" or "-" (at most 64)' });

const id = configId;

/** Reconnect backoff of a bus or an uplink: exponential with jitter between min and max. */
export const reconnectSchema = z.strictObject({
  min: boundedDuration(10, 3_600_000).default(500),
  max: boundedDuration(10, 3_600_000).default(30_000),
});

/** What the drivers build their bus schemas from: the config's ids, durations and backoff. */
const busSchemaKit = { id, duration: boundedDuration, reconnect: () => reconnectSchema.prefault({}) };

/**
 * The bus types of the config, one line per driver that builds buses (its schemas are declared in
 * its own folder; agent/app/plugins.ts lists the same drivers' plugins, and the compiler checks
 * there that every type here has a bus builder).
 */
export const busSchema = z.discriminatedUnion('type', [
  ...modbusBusSchemas(busSchemaKit),
  hj212ServerBusSchema(id),
  ...listenBusSchemas(busSchemaKit),
]);
