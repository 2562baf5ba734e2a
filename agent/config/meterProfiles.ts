import { meterProfileSchema } from '../../drivers/dlt645/meterProfileSchema.js';
import type { ProfileKind } from './profileKind.js';

/**
 * Meter profiles (drivers/profiles/dlt645/<vendor>/<model>.yaml) are written in the DL/T 645
 * driver's own format (drivers/dlt645/meterProfileSchema.ts). A device with
 * `profile: dlt645/generic/three-phase` starts from the device settings made of it: the `meter`
 * block's protocol and preamble, and the channels with their identifier, layout, unit, code and
 * counter setting. The profile's `description` of a channel is for the reader only. Channels keep
 * their index, so a problem of the merged device is reported at the profile's own line.
 */
export const METER_PROFILE_KIND: ProfileKind = {
  schema: meterProfileSchema,
  settings(data) {
    const dlt645 = isRecord(data.dlt645) ? data.dlt645 : {};
    const meter: Record<string, unknown> = {};
    if (dlt645.protocol !== undefined) meter.protocol = dlt645.protocol;
    if (dlt645.preamble !== undefined) meter.preamble = dlt645.preamble;
    const channels = Array.isArray(data.channels)
      ? data.channels.map((ch: unknown) => {
          if (!isRecord(ch)) return ch;
          const { description: _description, ...settings } = ch;
          return settings;
        })
      : data.channels;
    return { meter, channels };
  },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
