import { z } from 'zod';

/**
 * The `buses:` entries the Modbus driver runs on: Modbus TCP, Modbus RTU on a serial port, RTU
 * through a serial server. Declared here, with the driver, and built from the config's own pieces
 * (ids, durations, reconnect backoff: `kit`), which drivers/ may not import (drivers-only-contract);
 * agent/config/busSchema.ts puts them in the config's bus union. Generic in the pieces, so the
 * config's types (BusConfig) are exactly what the pieces parse to.
 */
export interface BusSchemaKit<
  Id extends z.ZodType<string>,
  Dur extends z.ZodType<number, string>,
  R extends z.ZodType,
> {
  /** Ids of buses, devices, channels and uplinks. */
  id: Id;
  /** A duration setting ("500ms", "10s") between two bounds, in ms. */
  duration: (minMs: number, maxMs: number) => Dur;
  /** Reconnect backoff of a bus or an uplink, defaults applied. */
  reconnect: () => R;
}

/**
 * The port and character format of a serial line, shared by the polled (`serial`) and the listening
 * (`serial-listen`) bus, in the order config/schema.json lists them.
 */
export const serialLineFields = {
  port: z.string().min(1).meta({ description: 'Device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…' }),
  baudRate: z.number().int().min(50).max(4_000_000).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
};

/**
 * A bounded duration with a default in ms. Dur's output is a number, but TypeScript does not see
 * through the generic to accept one for `.default`; the kit's type guarantees it.
 */
export function defaultedDuration<Dur extends z.ZodType<number, string>>(
  duration: (minMs: number, maxMs: number) => Dur,
) {
  return (minMs: number, maxMs: number, ms: number) => duration(minMs, maxMs).default(ms as never);
}

export function modbusBusSchemas<
  Id extends z.ZodType<string>,
  Dur extends z.ZodType<number, string>,
  R extends z.ZodType,
>(kit: BusSchemaKit<Id, Dur, R>) {
  const { id, duration } = kit;
  const durationOr = defaultedDuration(duration);

  const tcpBusSchema = z.strictObject({
    id,
    type: z.literal('tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
    timeout: durationOr(10, 60_000, 1000),
    retries: z.number().int().min(0).max(10).default(1),
    reconnect: kit.reconnect(),
  });

  const serialWorkaroundsSchema = z.strictObject({
    pauseBetweenRequests: duration(0, 60_000)
      .optional()
      .meta({
        description:
          'Quiet time between the end of one exchange and the next request (default: 3.5 characters at the ' +
          'configured speed, at least 2ms, on a serial port; 0 over TCP)',
      }),
    pauseAfterOpen: durationOr(0, 60_000, 0).meta({
      description: 'Wait after opening the port before the first request (converters that reset on open)',
    }),
    guardTime: duration(0, 60_000)
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
    ...serialLineFields,
    timeout: durationOr(10, 60_000, 1000),
    retries: z.number().int().min(0).max(10).default(1),
    reconnect: kit.reconnect(),
    workarounds: serialWorkaroundsSchema.prefault({}),
  });

  const rtuOverTcpBusSchema = z
    .strictObject({
      id,
      type: z.literal('rtu-over-tcp'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535),
      timeout: durationOr(10, 60_000, 1000),
      retries: z.number().int().min(0).max(10).default(1),
      reconnect: kit.reconnect(),
      workarounds: serialWorkaroundsSchema.prefault({}),
    })
    .meta({
      description: 'Modbus RTU frames through a transparent serial server (serial-to-Ethernet converter)',
    });

  return [tcpBusSchema, serialBusSchema, rtuOverTcpBusSchema] as const;
}
