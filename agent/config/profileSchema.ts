import { z } from 'zod';
import { deviceProblems } from './deviceProblems.js';
import { deviceFields } from './schema.js';

/**
 * An analyzer profile (drivers/profiles/<vendor>/<model>.yaml): the device settings an analyzer
 * model always needs (channels, word order, status mapping, workarounds, ascii protocol) plus
 * where each fact came from. A device starts from it with `profile: <vendor>/<model>`.
 *
 * Every device setting except the per-installation ones (id, name, bus, enabled, profile) may appear;
 * `interval` is optional here (a device usually sets its own).
 */

export const SOURCE_KINDS = ['manual', 'public-driver-code', 'assumption'] as const;

const sourceSchema = z.strictObject({
  fact: z.string().min(1).meta({ description: 'What this source tells, e.g. "SO2 at input 0-1"' }),
  kind: z.enum(SOURCE_KINDS).meta({
    description: 'manual, public-driver-code, or assumption (a guess to check before use)',
  }),
  ref: z.string().min(1).optional().meta({ description: 'Document, section or file the fact is from' }),
});

const {
  id: _id,
  name: _name,
  bus: _bus,
  enabled: _enabled,
  profile: _profile,
  interval,
  ...deviceSettings
} = deviceFields;

/** Keys of a profile that describe it; they are not device settings and are not merged into devices. */
export const PROFILE_META_KEYS = [
  '$schema',
  'model',
  'vendor',
  'description',
  'source',
  'verifiedOnHardware',
];

export const profileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    model: z.string().min(1),
    vendor: z.string().min(1),
    description: z.string().min(1),
    source: z
      .array(sourceSchema)
      .min(1, { message: 'a profile must say where its facts came from' })
      .meta({ description: 'Where each fact came from' }),
    verifiedOnHardware: z
      .boolean()
      .meta({ description: 'Whether these settings were checked against a real analyzer' }),
    interval: interval.optional(),
    ...deviceSettings,
  })
  .superRefine(
    (p, ctx) => {
      for (const problem of deviceProblems(p)) {
        ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      }
      // Uplink ids belong to one station; a profile serves them all.
      const channels: unknown[] = Array.isArray(p.channels) ? p.channels : [];
      channels.forEach((ch, i) => {
        if (typeof ch !== 'object' || ch === null || !('excludeUplinks' in ch)) return;
        const message =
          "excludeUplinks names a station's uplinks: set it on the device's channel, not in a profile";
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'excludeUplinks'], message });
      });
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type Profile = z.output<typeof profileSchema>;
