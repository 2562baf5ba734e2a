import { z } from 'zod';
import { DATA_FLAGS } from '../core/reading.js';
import { boundedDuration } from './duration.js';

/**
 * The one schema of the station configuration. It yields the TypeScript types (`StationConfig`)
 * and config/schema.json for editors (`npm run schema`). Key names are a contract: tests and
 * tools outside the project use them.
 */

const id = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected an id of letters, digits, "_" or "-" (at most 64)' });

export const REGISTER_TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
export const REGISTER_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'int64',
  'uint64',
  'float64',
] as const;
export const WORD_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;

export const registerSchema = z
  .strictObject({
    table: z.enum(REGISTER_TABLES),
    address: z.number().int().min(0).max(65535).meta({ description: '0-based PDU address' }),
    type: z.enum(REGISTER_TYPES),
    order: z
      .enum(WORD_ORDERS)
      .optional()
      .meta({ description: 'Byte/word order for multi-register types; ABCD = big-endian (default)' }),
  })
  .superRefine((r, ctx) => {
    const bitTable = r.table === 'coil' || r.table === 'discrete';
    if (bitTable && r.type !== 'bool') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: `a ${r.table} holds one bit: expected type bool`,
      });
    }
    if (!bitTable && r.type === 'bool') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: 'type bool needs table coil or discrete (use uint16 and a status mapping for a register)',
      });
    }
  });

const dataFlag = z.enum(DATA_FLAGS);

const channelSchema = z.strictObject({
  id,
  code: z
    .string()
    .regex(/^[a-z]\d{5}$/, { message: 'expected an HJ 212 factor code such as w01018 or a21026' })
    .optional(),
  unit: z.string().max(32).optional(),
  register: registerSchema,
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
});

const statusSchema = z.strictObject({
  register: registerSchema,
  flags: z
    .record(z.string().regex(/^\d+$/, { message: 'expected a state value (a whole number)' }), dataFlag)
    .meta({ description: 'Instrument state value -> HJ 212 data flag' }),
  default: dataFlag.default('D').meta({ description: 'Flag for a state value not listed in flags' }),
});

const workaroundsSchema = z.strictObject({
  maxRegistersPerRequest: z.number().int().min(1).max(125).optional(),
  mergeGap: z
    .number()
    .int()
    .min(0)
    .max(125)
    .optional()
    .meta({ description: 'Registers a merged request may read across to save a request (default 8)' }),
});

const deviceSchema = z.strictObject({
  id,
  bus: id,
  unit: z.number().int().min(0).max(255).default(1),
  interval: boundedDuration(100, 86_400_000),
  enabled: z.boolean().default(true),
  channels: z.array(channelSchema).min(1, { message: 'a device needs at least one channel' }),
  status: statusSchema.optional(),
  workarounds: workaroundsSchema.default({}),
});

const reconnectSchema = z.strictObject({
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

export const busSchema = z.discriminatedUnion('type', [tcpBusSchema]);

const mqttUplinkSchema = z.strictObject({
  id,
  type: z.literal('mqtt'),
  url: z.string().regex(/^mqtts?:\/\/[^\s]+$/, { message: 'expected an mqtt:// or mqtts:// URL' }),
  topicPrefix: z.string().min(1).default('stations'),
  qos: z.union([z.literal(1), z.literal(2)]).default(1),
  clientId: z.string().min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  keepalive: boundedDuration(1000, 3_600_000).default(30_000),
  batch: z
    .strictObject({
      maxReadings: z.number().int().min(1).max(10_000).default(500),
      maxDelay: boundedDuration(0, 3_600_000).default(2000),
    })
    .prefault({}),
  maxInFlight: z.number().int().min(1).max(64).default(4),
  reconnect: reconnectSchema.prefault({}),
});

export const uplinkSchema = z.discriminatedUnion('type', [mqttUplinkSchema]);

export const stationConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1, { message: 'expected version: 1' }),
    station: z.strictObject({
      // Part of every MQTT topic: "/", "+" and "#" would break topics, so only a safe alphabet.
      id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
        message: 'expected a station id of letters, digits, "_", "." or "-" (at most 64), e.g. 320700W001',
      }),
      name: z.string().default(''),
      timezone: z
        .string()
        .refine(isTimeZone, { message: 'expected an IANA time zone such as Asia/Shanghai' })
        .default('Asia/Shanghai'),
    }),
    storage: z.strictObject({
      path: z.string().min(1),
      synchronous: z.enum(['full', 'normal']).default('full').meta({
        description: 'SQLite durability: full survives power cuts (default); normal survives crashes only',
      }),
    }),
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .prefault({}),
    buses: z.array(busSchema).default([]),
    devices: z.array(deviceSchema).default([]),
    uplinks: z.array(uplinkSchema).default([]),
  })
  // `when`: cross-references are checked even when other settings failed, so one pass reports an
  // unknown bus or a duplicate id together with everything else. The value may then be partly
  // unvalidated, which is why referenceProblems reads it defensively. (zod still skips this after
  // an aborting issue such as a non-integer number; the loader then calls referenceProblems itself.)
  .superRefine(
    (cfg, ctx) => {
      for (const p of referenceProblems(cfg)) {
        ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
      }
    },
    { when: (payload) => isRecord(payload.value) },
  );

/** Cross-references between sections: duplicate ids, devices on unknown buses. Accepts any value. */
export function referenceProblems(cfg: unknown): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (!isRecord(cfg)) return problems;
  const buses = listOf(cfg.buses);
  const devices = listOf(cfg.devices);
  uniqueIds(buses, ['buses'], 'bus', problems);
  uniqueIds(devices, ['devices'], 'device', problems);
  uniqueIds(listOf(cfg.uplinks), ['uplinks'], 'uplink', problems);
  const busIds = new Set(buses.map(idOf).filter((busId) => busId !== undefined));
  // When `buses` is not a list, that section's own problem is the one to fix.
  const busesKnown = cfg.buses === undefined || Array.isArray(cfg.buses);
  devices.forEach((d, i) => {
    const bus = isRecord(d) ? d.bus : undefined;
    if (typeof bus === 'string' && busesKnown && !busIds.has(bus)) {
      const known = [...busIds].join(', ') || 'none defined';
      problems.push({ path: ['devices', i, 'bus'], message: `unknown bus "${bus}" (buses: ${known})` });
    }
    if (isRecord(d)) uniqueIds(listOf(d.channels), ['devices', i, 'channels'], 'channel', problems);
  });
  return problems;
}

function uniqueIds(
  items: readonly unknown[],
  path: (string | number)[],
  what: string,
  problems: { path: (string | number)[]; message: string }[],
): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const itemId = idOf(item);
    if (itemId === undefined) return;
    if (seen.has(itemId)) {
      problems.push({ path: [...path, i, 'id'], message: `duplicate ${what} id "${itemId}"` });
    }
    seen.add(itemId);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function idOf(item: unknown): string | undefined {
  return isRecord(item) && typeof item.id === 'string' ? item.id : undefined;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type StationConfig = z.output<typeof stationConfigSchema>;
export type StationConfigInput = z.input<typeof stationConfigSchema>;
export type BusConfig = StationConfig['buses'][number];
export type TcpBusConfig = Extract<BusConfig, { type: 'tcp' }>;
export type DeviceConfig = StationConfig['devices'][number];
export type ChannelConfig = DeviceConfig['channels'][number];
export type RegisterConfig = ChannelConfig['register'];
export type RegisterType = (typeof REGISTER_TYPES)[number];
export type RegisterTable = (typeof REGISTER_TABLES)[number];
export type WordOrder = (typeof WORD_ORDERS)[number];
export type UplinkConfig = StationConfig['uplinks'][number];
export type MqttUplinkConfig = Extract<UplinkConfig, { type: 'mqtt' }>;
