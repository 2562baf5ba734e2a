import { z } from 'zod';
import { boundedDuration } from './duration.js';

/** Field buses of the station config: Modbus TCP, Modbus RTU on a serial port, RTU through a serial server. */

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

const tcpBusSchema = z.strictObject({
  id,
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  timeout: boundedDuration(10, 60_000).default(1000),
  retries: z.number().int().min(0).max(10).default(1),
  reconnect: reconnectSchema.prefault({}),
});

const serialWorkaroundsSchema = z.strictObject({
  pauseBetweenRequests: boundedDuration(0, 60_000)
    .optional()
    .meta({
      description:
        'Quiet time between the end of one exchange and the next request (default: 3.5 characters at the ' +
        'configured speed, at least 2ms, on a serial port; 0 over TCP)',
    }),
  pauseAfterOpen: boundedDuration(0, 60_000).default(0).meta({
    description: 'Wait after opening the port before the first request (converters that reset on open)',
  }),
  guardTime: boundedDuration(0, 60_000)
    .optional()
    .meta({
      description:
        'After a timeout or garbage the line must be quiet this long before the next request, and what arrived ' +
        'meanwhile is discarded, so a late answer is never taken for the next one (default: the largest of a ' +
        'quarter of the timeout, 7 characters and 50ms on a serial port; of a quarter of the timeout and 100ms over TCP)',
    }),
});

const serialBusSchema = z.strictObject({
  id,
  type: z.literal('serial'),
  port: z.string().min(1).meta({ description: 'Device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…' }),
  baudRate: z.number().int().min(50).max(4_000_000).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  timeout: boundedDuration(10, 60_000).default(1000),
  retries: z.number().int().min(0).max(10).default(1),
  reconnect: reconnectSchema.prefault({}),
  workarounds: serialWorkaroundsSchema.prefault({}),
});

const rtuOverTcpBusSchema = z
  .strictObject({
    id,
    type: z.literal('rtu-over-tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    timeout: boundedDuration(10, 60_000).default(1000),
    retries: z.number().int().min(0).max(10).default(1),
    reconnect: reconnectSchema.prefault({}),
    workarounds: serialWorkaroundsSchema.prefault({}),
  })
  .meta({
    description: 'Modbus RTU frames through a transparent serial server (serial-to-Ethernet converter)',
  });

export const busSchema = z.discriminatedUnion('type', [tcpBusSchema, serialBusSchema, rtuOverTcpBusSchema]);
