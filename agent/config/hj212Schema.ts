import { z } from 'zod';
import { dialectOf, type Hj212Version } from '../../drivers/hj212/dialect.js';
import { isSm4KeyText } from '../../drivers/hj212/sm4.js';
import {
  resolveLayout,
  SM4_CRCS,
  SM4_ENCODINGS,
  SM4_FIELD,
  SM4_PADDINGS,
  SM4_PRESETS,
  SM4_TAILS,
  type Sm4Layout,
  type Sm4Preset,
} from '../../drivers/hj212/sm4Layout.js';
import { DATA_FLAGS } from '../core/reading.js';
import { boundedDuration } from './duration.js';

/**
 * The settings of an HJ 212 uplink (issue 5), kept apart from schema.ts so that file only gains
 * the union member. Semantics: docs/hj212.md ("HJ 212 uplink"). Durations are milliseconds after
 * parsing. Key names are a contract: tests and tools outside the project use them.
 */

const DAY_MS = 86_400_000;

/** What an uplink may send: 2011 real-time, 2051 minute, 2061 hour, 2031 day data. */
export const HJ212_SEND = ['realtime', 'minute', 'hour', 'day'] as const;
export type Hj212SendKind = (typeof HJ212_SEND)[number];

/** MinInterval values the standard allows (CN 1064), in minutes. */
const MIN_INTERVAL_MINUTES = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];

const id = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: 'expected an id of letters, digits, "_" or "-" (at most 64)' });

/**
 * Strings only: YAML reads `pw: 012345` as the number 12345 and an all-digit MN may exceed the
 * safe integers, so a number is refused with a hint to quote it rather than silently rewritten.
 */
function quoted(what: string, example: string) {
  return z.string({ error: `expected ${what} as a quoted string, e.g. ${example}` });
}

const SM4_PRESET_ENUM = Object.keys(SM4_PRESETS) as [Sm4Preset, ...Sm4Preset[]];

/**
 * SM4 encryption: a key, and how frames lay out the ciphertext (sm4Layout.ts). A preset names a
 * platform family's layout; `crc`, `encoding`, `padding` and `tail` override its parts. Received
 * frames are read in any layout; the setting decides what is sent.
 */
const encryptionSchema = z
  .strictObject({
    type: z.literal('sm4'),
    key: z
      .string()
      .refine(isSm4KeyText, { message: 'expected a 16-byte SM4 key (16 ASCII characters) or 32 hex digits' })
      .meta({
        description:
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's ${ENV_VAR} syntax, quoted for users
          'The SM4 key as the platform hands it out, 16 characters (or 32 hex digits); e.g. "${HJ212_KEY}"',
      }),
    preset: z
      .enum(SM4_PRESET_ENUM)
      .default('standard')
      .meta({
        description:
          'Ciphertext layout of a platform family (docs/hj212.md): standard (the HJ 212-2025 text: raw ' +
          'bytes, CRC of the plaintext), printed-example, crc-as-sent, crc-as-sent-raw, hex-pkcs7, ' +
          'encrypted-data-field',
      }),
    crc: z.enum(SM4_CRCS).optional().meta({
      description: 'CRC over the plaintext (the standard) or over the data segment as sent (ciphertext)',
    }),
    encoding: z.enum(SM4_ENCODINGS).optional().meta({
      description:
        'Ciphertext as raw bytes, hex digits, base64, or braces ({0xE4,0x3E,...}, as appendix A.2 prints it)',
    }),
    padding: z.enum(SM4_PADDINGS).optional().meta({
      description: 'none (the standard: a tail under 16 bytes stays plain), or pad the whole CP: pkcs7, zero',
    }),
    tail: z.enum(SM4_TAILS).optional().meta({
      description: 'Text encodings without padding: the plain tail follows as text (plain) or is encoded too',
    }),
    field: z
      .string()
      .regex(SM4_FIELD, {
        message: 'expected a CP key (a letter, then letters, digits or _; at most 32), or ""',
      })
      .optional()
      .meta({
        description: 'The CP field the ciphertext is written in (e.g. EncryptedData); "" = the CP itself',
      }),
    ciphertext: z.enum(['raw', 'hex']).optional().meta({
      description: 'Former name of encoding (raw or hex), still read',
      deprecated: true,
    }),
    rotate: boundedDuration(0, 3650 * DAY_MS)
      .default(90 * DAY_MS)
      .meta({
        description:
          'Ask the platform for a new key (CN 1014) once the key is this old (default 90d; 0s = never)',
      }),
  })
  .superRefine((e, ctx) => {
    if (e.ciphertext !== undefined && e.encoding !== undefined && e.ciphertext !== e.encoding) {
      ctx.addIssue({
        code: 'custom',
        path: ['ciphertext'],
        message: `ciphertext is the former name of encoding: give one (encoding: ${e.encoding})`,
      });
    }
  })
  .transform(({ ciphertext, preset, crc, encoding, padding, tail, field, ...rest }) => {
    const parts: Partial<Sm4Layout> = { ...SM4_PRESETS[preset] };
    if (crc !== undefined) parts.crc = crc;
    if ((encoding ?? ciphertext) !== undefined) parts.encoding = encoding ?? ciphertext;
    if (padding !== undefined) parts.padding = padding;
    if (tail !== undefined) parts.tail = tail;
    if (field !== undefined) parts.field = field;
    return { ...rest, preset, layout: resolveLayout(parts) };
  })
  .meta({ description: 'HJ 212-2025 SM4 encryption of uploads (CN 2000-2999, 1014, 3020)' });

export const hj212UplinkSchema = z
  .strictObject({
    id,
    type: z.literal('hj212'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    version: z
      .union([z.literal(2017), z.literal(2025), z.literal('2017'), z.literal('2025')])
      .transform((v) => String(v) as Hj212Version)
      .meta({ description: 'HJ 212 edition the platform speaks: 2017 or 2025' }),
    mn: quoted('the MN', 'mn: "010000A8900016F000169DC0"').meta({
      description: 'Station id on the platform (2017: up to 24 characters; 2025: 24 hex digits)',
    }),
    pw: quoted('the password', 'pw: "123456"').meta({
      description: 'Access password, 6 characters; a password set by the platform (CN 1072) is kept',
    }),
    st: z
      .union([z.string(), z.number().int()])
      .transform((v) => String(v))
      .refine((v) => /^\d{2}$/.test(v), {
        message: 'expected a 2-digit system code: 21 surface water, 22 air, 32 water pollution source…',
      })
      .meta({ description: 'System code (ST): 21 surface water, 22 ambient air, 31/32 pollution source' }),
    send: z
      .array(z.enum(HJ212_SEND))
      .min(1)
      .default([...HJ212_SEND])
      .meta({ description: 'Data to upload: realtime (2011), minute (2051), hour (2061), day (2031)' }),
    backfill: z
      .union([z.literal('all'), boundedDuration(0, 36_500 * DAY_MS)], {
        error: 'expected "all" or a duration such as "1d", "12h" or "0s"',
      })
      .default('all')
      .meta({
        description:
          'What a newly added uplink sends of the data already stored: all of it (default, as backlog with RF=1), ' +
          'or only what was measured within this long before it first runs, e.g. "1d" or "0s" for none',
      }),
    rtdInterval: boundedDuration(1000, 3_600_000)
      .default(30_000)
      .meta({
        description:
          'One 2011 per interval with each channel latest value (default 30s). The platform may change it ' +
          '(CN 1062, 30s..3600s); shorter values are for local platforms and tests',
      }),
    minInterval: boundedDuration(60_000, 1_800_000)
      .refine((ms) => MIN_INTERVAL_MINUTES.includes(ms / 60_000), {
        message: `expected one of ${MIN_INTERVAL_MINUTES.map((m) => `${m}m`).join(', ')}`,
      })
      .default(60_000)
      .meta({
        description: 'Period of minute data (2051), default 1m; the platform may change it (CN 1064)',
      }),
    ack: z.boolean().default(true).meta({
      description: 'Ask for a 9014 per upload; an upload counts as delivered only once answered',
    }),
    timeout: boundedDuration(100, 600_000)
      .default(10_000)
      .meta({ description: 'Answer wait before a re-send (default 10s; CN 1000 OverTime)' }),
    retries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .meta({ description: 'Re-sends before reconnecting (default 3; CN 1000 ReCount)' }),
    heartbeat: boundedDuration(0, 3_600_000)
      .optional()
      .meta({ description: 'HJ 212-2025 heartbeat (CN 9015) interval, default 60s; 0s = none' }),
    encryption: encryptionSchema.optional(),
    reconnect: z
      .strictObject({
        min: boundedDuration(10, 3_600_000).default(1000),
        max: boundedDuration(10, 3_600_000).default(60_000),
      })
      .prefault({}),
    applyTimeSet: z.boolean().default(false).meta({
      description:
        'Apply a time set by the platform (CN 1012) to the system clock; default false: answered and logged only',
    }),
    historyMaxRecords: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(3000)
      .meta({ description: 'A history request needing more data messages is refused (ExeRtn 3)' }),
    insufficientDataFlag: z
      .enum([...DATA_FLAGS, 'H'])
      .default('H')
      .meta({
        description:
          'Flag sent for a period without enough valid data (stored as H). H is used by many platforms; ' +
          'set another flag for a platform that refuses it',
      }),
  })
  .superRefine((u, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    const dialect = dialectOf(u.version);
    if (!dialect.mn.pattern.test(u.mn)) problem('mn', dialect.mn.expected);
    if (!/^[^;,=&\s]{6}$/.test(u.pw))
      problem('pw', 'expected a password of 6 characters (no blanks or ; , = &)');
    if (u.encryption !== undefined && !dialect.allowsEncryption) {
      problem('encryption', 'SM4 encryption is HJ 212-2025 only: remove it or set version: 2025');
    }
    if (u.heartbeat !== undefined && !dialect.hasHeartbeat) {
      problem('heartbeat', 'the 9015 heartbeat is HJ 212-2025 only: remove it or set version: 2025');
    }
    if (u.heartbeat !== undefined && u.heartbeat > 0 && u.heartbeat < 5000) {
      problem('heartbeat', 'expected 0s (off) or at least 5s');
    }
  })
  .meta({ description: 'HJ 212 data transmission to a monitoring platform over TCP (see docs/hj212.md)' });

export type Hj212UplinkConfig = z.output<typeof hj212UplinkSchema>;
export type Hj212EncryptionConfig = NonNullable<Hj212UplinkConfig['encryption']>;

/** The heartbeat in effect: the dialect's default (60 s under 2025) unless set, none where it has none (2017). */
export function heartbeatMs(cfg: Pick<Hj212UplinkConfig, 'version' | 'heartbeat'>): number {
  const dialect = dialectOf(cfg.version);
  if (!dialect.hasHeartbeat) return 0;
  return cfg.heartbeat ?? dialect.defaultHeartbeatMs;
}
