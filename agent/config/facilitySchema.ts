import { z } from 'zod';
import { configId } from './busSchema.js';
import { boundedDuration } from './duration.js';
import { idOf, isRecord, listOf } from './rules/ruleFinding.js';

/**
 * Production and treatment (pollution-control) facilities whose run state is proven by their power
 * or current (issue 17, docs/facilities.md). Semantics live in agent/facilities/; this file only
 * states the settings and their cross-references. Durations are milliseconds after parsing.
 */

/** The virtual device whose channels carry each facility's run state (1 running, 0 stopped). */
export const FACILITY_STATE_DEVICE = 'facilities';
/** The virtual device whose channels carry each production facility's alarm (1 open, 0 none). */
export const FACILITY_ALARM_DEVICE = 'facility-alarms';
/** Production may run this long with a required treatment stopped before the alarm, when `delay` is not set. */
export const DEFAULT_ALARM_DELAY_MS = 300_000;

const DAY_MS = 86_400_000;

const powerChannelSchema = z
  .strictObject({
    device: configId.meta({ description: 'Id of the device measuring it (any driver)' }),
    channel: configId.meta({ description: 'Id of its power (kW) or current (A) channel' }),
  })
  .meta({ description: 'A channel giving the power or current of (a part of) the facility' });

export const facilitySchema = z
  .strictObject({
    id: configId,
    name: z
      .string()
      .regex(/^[^\p{Cc}]{1,64}$/u, {
        message: 'expected a facility name of 1 to 64 characters on one line, e.g. 1号生产线',
      })
      .optional()
      .meta({ description: 'Name shown on the status page and in events (any language, e.g. 污水处理站)' }),
    role: z.enum(['production', 'treatment']).meta({
      description: 'production: a process that pollutes; treatment: pollution-control equipment it needs',
    }),
    power: z
      .array(powerChannelSchema)
      .min(1, { message: 'a facility needs at least one power channel' })
      .meta({
        description: 'Channels whose values are summed into the facility power (all in kW, or all in A)',
      }),
    threshold: z.number().finite().min(0).meta({
      description: 'Running at or above this power (kW) or current (A), in the unit of the power channels',
    }),
    hysteresis: z.number().finite().min(0).default(0).meta({
      description:
        'Stopped only below threshold - hysteresis, so a power hovering at the threshold does not flap',
    }),
    minDuration: boundedDuration(0, DAY_MS)
      .default(60_000)
      .meta({ description: 'A new run state counts only once it held this long (default 1m; 0: at once)' }),
    unknownAfter: boundedDuration(1000, DAY_MS)
      .optional()
      .meta({
        description:
          'Run state unknown when no valid power reading came for this long; default 3 intervals of the ' +
          'slowest power device',
      }),
    minLoad: z.number().finite().min(0).optional().meta({
      description:
        'treatment only: running below this power (kW or A) counts as not running for the alarm (e.g. a fan idling)',
    }),
    requires: z
      .array(configId)
      .optional()
      .meta({ description: 'production only: ids of the treatment facilities that must run while it runs' }),
    delay: boundedDuration(0, DAY_MS).optional().meta({
      description:
        'production only: how long it may run with a required treatment stopped before the alarm (default 5m)',
    }),
  })
  .superRefine((f, ctx) => {
    if (f.hysteresis > f.threshold) {
      ctx.addIssue({ code: 'custom', path: ['hysteresis'], message: 'hysteresis must not exceed threshold' });
    }
    if (f.role === 'treatment') {
      for (const key of ['requires', 'delay'] as const) {
        if (f[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `a treatment facility has no ${key}: only production facilities require treatments`,
          });
        }
      }
    } else if (f.minLoad !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minLoad'],
        message: 'minLoad applies to treatment facilities only',
      });
    }
  });

export const facilitiesSchema = z
  .array(facilitySchema)
  .default([])
  .meta({
    description:
      'Production and treatment facilities metered separately: their run state from power, and an alarm when ' +
      'production runs while a required treatment is stopped (docs/facilities.md)',
  });

export type FacilityConfig = z.output<typeof facilitySchema>;

/** Facility cross-references: unknown devices, channels and facilities, duplicate ids. Accepts any value. */
export function facilityProblems(
  cfg: Record<string, unknown>,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const facilities = listOf(cfg.facilities);
  if (facilities.length === 0) return problems;
  const devices = new Map<string, Set<string>>();
  listOf(cfg.devices).forEach((d, i) => {
    const deviceId = idOf(d);
    if (deviceId === undefined || !isRecord(d)) return;
    devices.set(
      deviceId,
      new Set(
        listOf(d.channels)
          .map(idOf)
          .filter((c) => c !== undefined),
      ),
    );
    if (deviceId === FACILITY_STATE_DEVICE || deviceId === FACILITY_ALARM_DEVICE) {
      problems.push({
        path: ['devices', i, 'id'],
        message: `device id "${deviceId}" is taken by the facilities' run-state readings: rename the device`,
      });
    }
  });
  const roles = new Map<string, unknown>();
  facilities.forEach((f, i) => {
    const fid = idOf(f);
    if (fid === undefined || !isRecord(f)) return;
    if (roles.has(fid))
      problems.push({ path: ['facilities', i, 'id'], message: `duplicate facility id "${fid}"` });
    else roles.set(fid, f.role);
  });
  const devicesKnown = Array.isArray(cfg.devices) || cfg.devices === undefined;
  facilities.forEach((f, i) => {
    if (!isRecord(f)) return;
    listOf(f.power).forEach((p, j) => {
      if (!isRecord(p) || typeof p.device !== 'string' || !devicesKnown) return;
      const channels = devices.get(p.device);
      if (channels === undefined) {
        const known = [...devices.keys()].join(', ') || 'none defined';
        problems.push({
          path: ['facilities', i, 'power', j, 'device'],
          message: `unknown device "${p.device}" (devices: ${known})`,
        });
      } else if (typeof p.channel === 'string' && !channels.has(p.channel)) {
        problems.push({
          path: ['facilities', i, 'power', j, 'channel'],
          message: `device "${p.device}" has no channel "${p.channel}" (channels: ${[...channels].join(', ')})`,
        });
      }
    });
    listOf(f.requires).forEach((r, j) => {
      if (typeof r !== 'string') return;
      const role = roles.get(r);
      if (role === undefined) {
        const treatments = [...roles].filter(([, ro]) => ro === 'treatment').map(([k]) => k);
        problems.push({
          path: ['facilities', i, 'requires', j],
          message: `unknown facility "${r}" (treatment facilities: ${treatments.join(', ') || 'none defined'})`,
        });
      } else if (role !== 'treatment') {
        problems.push({
          path: ['facilities', i, 'requires', j],
          message: `facility "${r}" is not a treatment facility: production can only require treatment`,
        });
      }
    });
  });
  return problems;
}
