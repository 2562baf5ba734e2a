import { z } from 'zod';
import { ADDRESS_PATTERN } from './bcd.js';
import { bcdLayoutSchema } from './meterProfileSchema.js';

/**
 * The `meter` block of a device and the DL/T 645 keys of its channels: an electricity meter read
 * over DL/T 645 on a serial line instead of Modbus. A meter's channels name a data identifier
 * (`di`, with `element` for a block) and its BCD layout (`format`) instead of a register; the
 * profiles drivers/profiles/dlt645/<vendor>/<model>.yaml give both. Declared here, with the
 * driver; agent/config/schema.ts puts the block in the device's settings and the channel keys in
 * the channel's (drivers/ may not import the config: drivers-only-contract).
 */

export const meterBlockSchema = z
  .strictObject({
    address: z
      .string()
      .regex(ADDRESS_PATTERN, {
        message: "expected the meter's 12-digit address as printed on it, e.g. '000000000001' (quote it)",
      })
      .meta({ description: "The meter's address: 12 digits, as on its nameplate (quote it in YAML)" }),
    protocol: z
      .enum(['2007', '1997'])
      .default('2007')
      .meta({ description: 'DL/T 645-2007 (default) or the older DL/T 645-1997' }),
    preamble: z
      .number()
      .int()
      .min(0)
      .max(8)
      .default(4)
      .meta({ description: 'FE bytes sent before each request to wake the line (default 4)' }),
  })
  .meta({ description: 'An electricity meter read over DL/T 645 (docs/dlt645.md) instead of Modbus' });

/** The keys a meter's channel has instead of `register`. */
export const meterChannelFields = {
  di: z
    .string()
    .regex(/^(?:[0-9A-Fa-f]{4}|[0-9A-Fa-f]{8})$/, {
      message: 'expected a DL/T 645 data identifier: 8 hex digits (2007, e.g. "00010000") or 4 (1997)',
    })
    .optional()
    .meta({ description: 'Meters: the DL/T 645 data identifier of the value, e.g. "00010000" (energy)' }),
  element: z
    .number()
    .int()
    .min(0)
    .max(15)
    .optional()
    .meta({ description: 'Meters: the value of a block identifier (0201FF00: 0 A, 1 B, 2 C)' }),
  format: bcdLayoutSchema
    .refine((f) => f.decimals <= f.bytes * 2, { message: 'more decimals than digits', path: ['decimals'] })
    .optional()
    .meta({ description: 'Meters: the BCD layout of the value (bytes, decimals, signed)' }),
};

export const meterDeviceBlock = { meter: meterBlockSchema.optional() };

export type MeterBlockConfig = z.output<typeof meterBlockSchema>;
