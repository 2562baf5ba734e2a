import { z } from 'zod';

/**
 * An electricity meter profile (drivers/profiles/dlt645/<vendor>/<model>.yaml): what one meter
 * model answers over DL/T 645, as data. Each channel names its data identifier, the BCD layout of
 * its value (a block identifier with `element` picks one value of the block) and its unit. The
 * station config later adds the meter's address, its line and the upload code where the profile
 * leaves `code` out (no national code list exists for these quantities; provinces publish theirs).
 */

const sourceSchema = z.strictObject({
  fact: z.string().min(1),
  kind: z.enum(['manual', 'public-driver-code', 'assumption']),
  ref: z.string().min(1),
});

export const bcdLayoutSchema = z.strictObject({
  bytes: z.number().int().min(1).max(8),
  decimals: z.number().int().min(0).max(8),
  signed: z.boolean(),
});

export const meterChannelSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z][\w-]*$/, 'a channel id: a letter, then letters, digits, _ or -'),
    description: z.string().optional(),
    /** Hex, most significant byte first as the standard writes it: "02010100" (2007), "B611" (1997). */
    di: z.string().regex(/^(?:[0-9A-Fa-f]{4}|[0-9A-Fa-f]{8})$/, '4 hex digits (1997) or 8 (2007)'),
    /** Index of the value in a block answer (0201FF00: 0 A, 1 B, 2 C). */
    element: z.number().int().min(0).max(15).optional(),
    format: bcdLayoutSchema,
    unit: z.string(),
    /** Upload code (HJ 212 or a provincial code); omitted when it is left to the station config. */
    code: z.string().min(1).optional(),
    /** A counter (energy): the aggregator computes each period's consumption `cou` from it. */
    cumulative: z.strictObject({ rollover: z.number().positive() }).optional(),
  })
  .refine((c) => c.format.decimals <= c.format.bytes * 2, {
    message: 'more decimals than digits',
    path: ['format', 'decimals'],
  });

export const meterProfileSchema = z
  .strictObject({
    model: z.string().min(1),
    vendor: z.string().min(1),
    description: z.string().min(1),
    source: z.array(sourceSchema).min(1),
    verifiedOnHardware: z.boolean(),
    dlt645: z.strictObject({
      protocol: z.enum(['2007', '1997']),
      /** Line defaults; a station may override them per bus. */
      serial: z
        .strictObject({
          baudRate: z.union([z.literal(1200), z.literal(2400), z.literal(4800), z.literal(9600)]),
          parity: z.enum(['none', 'even', 'odd']),
          dataBits: z.literal(8),
          stopBits: z.union([z.literal(1), z.literal(2)]),
        })
        .default({ baudRate: 2400, parity: 'even', dataBits: 8, stopBits: 1 }),
      /** FE bytes before each request. */
      preamble: z.number().int().min(0).max(8).default(4),
    }),
    channels: z.array(meterChannelSchema).min(1),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    const digits = p.dlt645.protocol === '2007' ? 8 : 4;
    p.channels.forEach((c, i) => {
      if (seen.has(c.id))
        ctx.addIssue({ code: 'custom', message: `channel id ${c.id} twice`, path: ['channels', i, 'id'] });
      seen.add(c.id);
      if (c.di.length !== digits) {
        ctx.addIssue({
          code: 'custom',
          message: `a DL/T 645-${p.dlt645.protocol} identifier has ${digits} hex digits`,
          path: ['channels', i, 'di'],
        });
      }
    });
  });

export type MeterProfile = z.output<typeof meterProfileSchema>;
export type MeterChannel = z.output<typeof meterChannelSchema>;
