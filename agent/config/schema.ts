import { z } from 'zod';
import { meterChannelFields, meterDeviceBlock } from '../../drivers/dlt645/meterSchema.js';
import { registerCount } from '../../drivers/modbus/decode.js';
import { REGISTER_TABLES, REGISTER_TYPES, WORD_ORDERS } from '../../drivers/modbus/registers.js';
import { DATA_FLAGS } from '../core/reading.js';
import { MAX_DECIMALS } from '../core/valueText.js';
import { asciiBlock } from './asciiSchema.js';
import { busSchema, configId } from './busSchema.js';
import { reloadSchema } from './commandsSchema.js';
import { deviceProblems } from './deviceProblems.js';
import { displayName } from './displayName.js';
import { boundedDuration } from './duration.js';
import { facilitiesSchema } from './facilitySchema.js';
import { loggerBlock } from './hj212InputSchema.js';
import { httpSchema } from './httpSchema.js';
import {
  aggregationSchema,
  channelQcSchema,
  cumulativeSchema,
  cycleSchema,
  maintenanceSchema,
} from './qualitySchema.js';
import { referenceProblems } from './rules/referenceProblems.js';
import { registerSpanProblem } from './rules/registerSpan.js';
import { storageSchema } from './storageSchema.js';
import { uplinkSchema } from './uplinkSchemas.js';
import { watchdogSchema } from './watchdogSchema.js';

/**
 * The one schema of the station configuration. It yields the TypeScript types (`StationConfig`)
 * and config/schema.json for editors (`npm run schema`). Key names are a contract: tests and
 * tools outside the project use them.
 */

const id = configId;

export {
  REGISTER_TABLES,
  REGISTER_TYPES,
  type RegisterTable,
  type RegisterType,
  WORD_ORDERS,
  type WordOrder,
} from '../../drivers/modbus/registers.js';

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
    const span = registerSpanProblem(r.address, registerCount(r.type), `type ${r.type}`);
    if (span) ctx.addIssue({ code: 'custom', path: ['address'], message: span });
  });

const dataFlag = z.enum(DATA_FLAGS);

const channelSchema = z.strictObject({
  id,
  name: displayName('channel'),
  code: z
    .string()
    .regex(/^[a-z]\d{5}$/, { message: 'expected an HJ 212 factor code such as w01018 or a21026' })
    .optional(),
  unit: z.string().max(32).optional(),
  // Exactly one of register (Modbus) and field (ascii devices): checked by deviceProblems.
  register: registerSchema.optional().meta({ description: 'Modbus devices: where the value is' }),
  field: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
      message: 'expected the name of a named group of ascii.pattern',
    })
    .optional()
    .meta({ description: 'ascii devices: the named group of ascii.pattern holding the value' }),
  // Meters (a device with a `meter` block): the data identifier instead of a register.
  ...meterChannelFields,
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
  decimals: z
    .number()
    .int()
    .min(0)
    .max(MAX_DECIMALS)
    .optional()
    .meta({
      description:
        'Digits after the decimal point when the value is shown (status) or sent as HJ 212 text; ' +
        'stored and MQTT values are never rounded. Default: the HJ 212 field format of `code` ' +
        '(w21003 N4.2: 2), else the value as measured. See docs/values.md',
    }),
  qc: channelQcSchema.optional(),
  cumulative: cumulativeSchema.optional(),
  cycle: cycleSchema.optional(),
  excludeUplinks: z
    .array(id)
    .optional()
    .meta({
      description:
        'HJ 212 uplinks (ids) this channel is never sent to, e.g. a second channel with the same code kept ' +
        'locally (checked: HJ 212 uplinks only)',
    }),
});

/** A status bit: a coil/discrete input, or `mask` bits of a register. */
const statusBitSchema = z
  .strictObject({
    register: registerSchema,
    mask: z.number().int().min(1).max(0xffff_ffff).optional().meta({
      description: 'For a register (not a coil/discrete): the bits to test; set = any of them is 1',
    }),
    when: z.enum(['set', 'clear']).default('set').meta({
      description: 'The bit state that means this flag; clear for "system OK"-style bits',
    }),
    flag: dataFlag,
  })
  .superRefine((b, ctx) => {
    const bitTable = b.register.table === 'coil' || b.register.table === 'discrete';
    if (bitTable && b.mask !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['mask'],
        message: `a ${b.register.table} is one bit: remove mask`,
      });
    }
  });

const statusSchema = z
  .strictObject({
    register: registerSchema.optional().meta({ description: 'Register holding the instrument state value' }),
    flags: z
      .record(z.string().regex(/^\d+$/, { message: 'expected a state value (a whole number)' }), dataFlag)
      .default({})
      .meta({ description: 'Instrument state value -> HJ 212 data flag' }),
    default: dataFlag.default('D').meta({ description: 'Flag for a state value not listed in flags' }),
    bits: z
      .array(statusBitSchema)
      .min(1)
      .optional()
      .meta({
        description:
          'State bits, tried in order before the register: the first in its `when` state gives the flag. ' +
          'No match: the register mapping, or N without a register',
      }),
  })
  .superRefine((s, ctx) => {
    if (s.register === undefined && s.bits === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'status needs a register, bits, or both' });
    }
  });

/** Cycle analyzers (nutrients) report when their last measurement was made. */
const measurementTimeSchema = z
  .strictObject({
    table: z.enum(['holding', 'input']),
    address: z.number().int().min(0).max(65535).meta({ description: '0-based PDU address' }),
    format: z.enum(['bcd', 'epoch']).meta({
      description:
        'bcd: 3 registers YYMM DDhh mmss, two BCD digits per byte, year 20YY, at utcOffset; ' +
        'epoch: uint32 seconds since 1970-01-01 UTC (2 registers, see order)',
    }),
    order: z.enum(WORD_ORDERS).optional().meta({ description: 'epoch only: word order (default ABCD)' }),
    utcOffset: z
      .string()
      .regex(/^[+-](?:[01]\d|2[0-3]):[0-5]\d$/, { message: 'expected an offset such as "+08:00"' })
      .default('+08:00')
      .meta({
        description:
          'bcd only: the offset of the analyzer clock (default +08:00). A fixed offset, not a zone: ' +
          'analyzer clocks do not follow daylight saving time',
      }),
  })
  .superRefine((t, ctx) => {
    if (t.format === 'bcd' && t.order !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['order'], message: 'order applies to format epoch only' });
    }
    const words = t.format === 'bcd' ? 3 : 2;
    const span = registerSpanProblem(t.address, words, `format ${t.format}`);
    if (span) ctx.addIssue({ code: 'custom', path: ['address'], message: span });
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

const isolationSchema = z
  .strictObject({
    after: z.number().int().min(0).max(1000).default(3).meta({
      description:
        'Consecutive polls without an answer after which the device is polled at the reduced rate (0: never)',
    }),
    interval: boundedDuration(100, 86_400_000).default(60_000).meta({
      description: 'Poll interval while isolated (never faster than the device interval); default 60s',
    }),
  })
  .meta({
    description:
      'A device that stops answering is polled at a reduced rate so it cannot take the line from the others; ' +
      'it returns to its interval by itself with its first answer. Its readings are flagged B meanwhile. ' +
      'Default: after 3 polls, every 60s.',
  });

/** The device settings; profiles (agent/config/profiles.ts) reuse them, hence exported as a shape. */
export const deviceFields = {
  id,
  name: displayName('device'),
  bus: id,
  profile: z
    .string()
    .regex(/^(?:dlt645\/)?[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/, {
      message: 'expected a profile name such as thermo/i-series-43i or dlt645/generic/three-phase',
    })
    .optional()
    .meta({
      description:
        'Analyzer profile drivers/profiles/<vendor>/<model>.yaml whose settings this device starts from; ' +
        'settings given here override it, channels are merged by id, null removes a profile setting',
    }),
  unit: z.number().int().min(0).max(255).default(1),
  interval: boundedDuration(100, 86_400_000),
  enabled: z.boolean().default(true),
  channels: z.array(channelSchema).min(1, { message: 'a device needs at least one channel' }),
  status: statusSchema.optional(),
  measurementTime: measurementTimeSchema.optional(),
  // The device blocks of drivers other than Modbus (each declared in its drivers/<protocol>/ folder).
  ...asciiBlock,
  ...loggerBlock,
  ...meterDeviceBlock,
  workarounds: workaroundsSchema.default({}),
  // Optional in the parsed config too (absent = the defaults below), so code that builds a DeviceConfig by hand need not spell it out.
  isolation: isolationSchema.optional(),
};

// `when`: as for the station (below), so a channel with both register and field is reported in the
// same pass as the other problems of the device.
const deviceSchema = z.strictObject(deviceFields).superRefine(
  (d, ctx) => {
    for (const p of deviceProblems(d)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  },
  { when: (payload) => isRecord(payload.value) },
);

// The `uplinks[]` entry: one schema per uplink type, composed in uplinkSchemas.ts.
export { uplinkSchema };

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
    storage: storageSchema,
    log: z
      .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .prefault({}),
    buses: z.array(busSchema).default([]),
    devices: z.array(deviceSchema).default([]),
    uplinks: z.array(uplinkSchema).default([]),
    aggregation: aggregationSchema.prefault({}),
    maintenance: maintenanceSchema.prefault({}),
    reload: reloadSchema.prefault({}),
    http: httpSchema.prefault({}),
    watchdog: watchdogSchema.prefault({}),
    facilities: facilitiesSchema,
  })
  // `when`: cross-references are checked even when other settings failed, so one pass reports an
  // unknown bus or a duplicate id together with everything else. The value may then be partly
  // unvalidated, which is why referenceProblems reads it defensively. (zod still skips this after
  // an aborting issue such as a non-integer number; the loader then calls referenceProblems itself.)
  .superRefine(
    (cfg, ctx) => {
      for (const p of referenceProblems(cfg)) {
        const params = p.related ? { related: p.related } : undefined;
        ctx.addIssue({ code: 'custom', path: p.path, message: p.message, ...(params ? { params } : {}) });
      }
    },
    { when: (payload) => isRecord(payload.value) },
  );

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
export { busSchema };
export type BusConfig = StationConfig['buses'][number];
export type TcpBusConfig = Extract<BusConfig, { type: 'tcp' }>;
export type SerialBusConfig = Extract<BusConfig, { type: 'serial' }>;
export type RtuOverTcpBusConfig = Extract<BusConfig, { type: 'rtu-over-tcp' }>;
export type Hj212ServerBusConfig = Extract<BusConfig, { type: 'hj212-server' }>;
export type SerialListenBusConfig = Extract<BusConfig, { type: 'serial-listen' }>;
export type DeviceConfig = StationConfig['devices'][number];
export type ChannelConfig = DeviceConfig['channels'][number];
export type RegisterConfig = z.output<typeof registerSchema>;
export type StatusConfig = NonNullable<DeviceConfig['status']>;
export type StatusBitConfig = NonNullable<StatusConfig['bits']>[number];
export type MeasurementTimeConfig = NonNullable<DeviceConfig['measurementTime']>;
export type { MeterBlockConfig } from '../../drivers/dlt645/meterSchema.js';
export type { AsciiConfig, AsciiStatusConfig } from './asciiSchema.js';
export type { LoggerBlockConfig } from './hj212InputSchema.js';
export type UplinkConfig = StationConfig['uplinks'][number];
export type { FacilityConfig } from './facilitySchema.js';
export type { Hj212UplinkConfig } from './hj212Schema.js';
export type { MqttUplinkConfig } from './mqttUplinkSchema.js';
