import type { z } from 'zod';

/**
 * How a profile file is validated and turned into device settings: analyzer profiles
 * (profileSchema.ts) hold device settings as they are, meter profiles (meterProfiles.ts) are in the
 * DL/T 645 driver's own format.
 */
export interface ProfileKind {
  schema: z.ZodType;
  /** The device settings of a valid (or partly valid) profile's data. */
  settings(data: Record<string, unknown>): Record<string, unknown>;
}
