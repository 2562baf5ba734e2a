import { z } from 'zod';
import { dialectOf, type Hj212Version } from '../../drivers/hj212/dialect.js';
import { isSm4KeyText } from '../../drivers/hj212/sm4.js';
import { SM4_PRESETS, type Sm4Preset } from '../../drivers/hj212/sm4Layout.js';

/**
 * The HJ 212 input's settings (issue 16 part 2, docs/hj212-input.md): a `buses:` entry of type
 * hj212-server (the agent listening as one more platform of the station's data logger), and the
 * `logger:` block of a device on it (one device per logger MN). Kept apart from schema.ts and
 * busSchema.ts, which only gain one line each. The input's code is in agent/acquisition/hj212Input/.
 */

/** Strings only: YAML reads `pw: 012345` as 12345, so a number is refused with a hint to quote it. */
function quoted(what: string, example: string) {
  return z.string({ error: `expected ${what} as a quoted string, e.g. ${example}` });
}

/** The pieces busSchema.ts builds bus schemas from (its id), passed in so there is no import cycle. */
export function hj212ServerBusSchema<Id extends z.ZodType<string>>(id: Id) {
  return z
    .strictObject({
      id,
      type: z.literal('hj212-server'),
      host: z.string().min(1).default('0.0.0.0').meta({
        description: 'Address to listen on (default 0.0.0.0: the logger is another box on the LAN)',
      }),
      port: z.number().int().min(1).max(65535).meta({
        description: 'TCP port the logger is set to send to (its platform/centre port)',
      }),
      maxConnections: z.number().int().min(1).max(256).default(16).meta({
        description: 'Logger connections accepted at once (a logger holds one per platform)',
      }),
      linkLostAfter: z.number().int().min(1).max(100).default(3).meta({
        description:
          "A logger device's link counts as lost after this many of its intervals without an upload (default 3)",
      }),
    })
    .meta({
      description:
        'HJ 212 input: the agent listens as one more platform of the station data logger (docs/hj212-input.md); ' +
        'its devices have a logger block',
    });
}

const SM4_PRESET_ENUM = Object.keys(SM4_PRESETS) as [Sm4Preset, ...Sm4Preset[]];

const loggerSchema = z
  .strictObject({
    mn: quoted('the MN', 'mn: "010000A8900016F000169DC0"').meta({
      description: 'The MN the logger sends (its station code): one device per MN',
    }),
    pw: quoted('the password', 'pw: "123456"').meta({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's ${ENV_VAR} syntax, quoted for users
      description: 'The PW the logger sends to this platform, 6 characters; e.g. "${LOGGER_PW}"',
    }),
    version: z
      .union([z.literal(2017), z.literal(2025), z.literal('2017'), z.literal('2025')])
      .transform((v) => String(v) as Hj212Version)
      .meta({ description: 'HJ 212 edition the logger speaks to this platform: 2017 or 2025' }),
    sm4Key: z
      .string()
      .refine(isSm4KeyText, { message: 'expected a 16-byte SM4 key (16 ASCII characters) or 32 hex digits' })
      .optional()
      .meta({
        description:
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's ${ENV_VAR} syntax, quoted for users
          'HJ 212-2025 only: the SM4 key set on the logger for this platform, e.g. "${LOGGER_SM4_KEY}"',
      }),
    sm4Layout: z.enum(SM4_PRESET_ENUM).optional().meta({
      description:
        'SM4 layout preset (docs/hj212.md): every layout is read; this only breaks the tie when a CRC matches two',
    }),
  })
  .superRefine((l, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    const dialect = dialectOf(l.version);
    if (!dialect.mn.pattern.test(l.mn)) problem('mn', dialect.mn.expected);
    if (!/^[^;,=&\s]{6}$/.test(l.pw))
      problem('pw', 'expected a password of 6 characters (no blanks or ; , = &)');
    if (l.sm4Key !== undefined && !dialect.allowsEncryption)
      problem('sm4Key', 'SM4 encryption is HJ 212-2025 only: remove sm4Key or set version: 2025');
    if (l.sm4Layout !== undefined && l.sm4Key === undefined)
      problem('sm4Layout', 'sm4Layout applies with an sm4Key only');
  })
  .meta({
    description:
      'A data logger sending HJ 212 to this agent (device on an hj212-server bus); channels are mapped by code',
  });

/** The device block of the HJ 212 input, spread into the device's settings by schema.ts. */
export const loggerBlock = { logger: loggerSchema.optional() };

export type LoggerBlockConfig = z.output<typeof loggerSchema>;
