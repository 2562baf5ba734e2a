import { validate as isCronExpression } from 'node-cron';
import { z } from 'zod';
import { DATA_FLAGS } from '../core/reading.js';
import { boundedDuration } from './duration.js';

/**
 * The settings of quality control and aggregation (issue 4), kept apart from schema.ts so that file
 * only gains the keys that use them. Semantics: docs/quality.md. Durations are milliseconds after parsing.
 */

const DAY_MS = 86_400_000;

/** [low, high], both finite, low <= high. */
const span = z
  .tuple([z.number().finite(), z.number().finite()])
  .refine(([lo, hi]) => lo <= hi, { message: 'expected [low, high] with low <= high' });

/** A suspect and/or a fail threshold; when both are given, fail must not be below suspect. */
function thresholds(unit: string) {
  return z
    .strictObject({
      suspect: z
        .number()
        .positive()
        .optional()
        .meta({ description: `Suspect above this (${unit})` }),
      fail: z
        .number()
        .positive()
        .optional()
        .meta({ description: `Fail above this (${unit})` }),
    })
    .superRefine((t, ctx) => {
      if (t.suspect === undefined && t.fail === undefined) {
        ctx.addIssue({ code: 'custom', path: [], message: 'expected suspect, fail or both' });
      }
      if (t.suspect !== undefined && t.fail !== undefined && t.fail < t.suspect) {
        ctx.addIssue({ code: 'custom', path: ['fail'], message: 'fail must not be below suspect' });
      }
    });
}

export const channelQcSchema = z
  .strictObject({
    grossRange: z
      .strictObject({
        fail: span.optional().meta({ description: 'Outside [low, high]: fail (4)' }),
        suspect: span.optional().meta({ description: 'Outside [low, high] (and inside fail): suspect (3)' }),
      })
      .optional(),
    measuringRange: span.optional().meta({
      description: "The instrument's measuring range: above high flags T; outside it is suspect (3)",
    }),
    spike: thresholds('value units')
      .optional()
      .meta({ description: 'Distance from the median of the previous 3 samples (one-sided, real time)' }),
    rateOfChange: thresholds('units per second').optional(),
    flatLine: z
      .strictObject({
        suspect: boundedDuration(1000, 7 * DAY_MS).meta({ description: 'Flat at least this long: suspect' }),
        fail: boundedDuration(1000, 7 * DAY_MS)
          .optional()
          .meta({ description: 'Flat at least this long: fail' }),
        tolerance: z
          .number()
          .min(0)
          .default(0)
          .meta({ description: 'Values within this of each other are equal' }),
      })
      .superRefine((f, ctx) => {
        if (f.fail !== undefined && f.fail < f.suspect) {
          ctx.addIssue({ code: 'custom', path: ['fail'], message: 'fail must not be shorter than suspect' });
        }
      })
      .optional(),
    maxGap: boundedDuration(1000, 7 * DAY_MS)
      .optional()
      .meta({
        description:
          'Samples further apart are not compared by spike, rate of change and flat line (default 2.5 x the ' +
          'interval, or x the cycle)',
      }),
  })
  .meta({ description: 'Automatic checks of this channel (QARTOD semantics); each is off unless set' });

export const cumulativeSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      rollover: z.number().positive().meta({
        description:
          'Value at which the counter wraps to 0 (e.g. 4294967296 for uint32, 100000000 for 8 digits)',
      }),
    }),
  ])
  .meta({ description: 'The value is a counter (e.g. a flow total): aggregates carry cou, its increase' });

export const cycleSchema = boundedDuration(60_000, DAY_MS).meta({
  description:
    'Cycle-based analyzer (one result per cycle, e.g. nutrients every 1h): a repeated result of the same ' +
    'cycle is not a new sample; expected counts follow the cycle',
});

const dataFlagSchema = z.enum(DATA_FLAGS);

export const aggregationSchema = z
  .strictObject({
    minuteMinValidSamples: z.number().int().min(1).max(3600).default(1),
    hourMinValidMinutes: z.number().int().min(1).max(60).default(45),
    dayMinValidHours: z.number().int().min(1).max(24).default(20),
    flagShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.75)
      .meta({
        description:
          'A period takes the flag that at least this share of its samples carry, else the highest-priority ' +
          'flag among them; 1 = one abnormal sample makes the period abnormal (water practice)',
      }),
    validFlags: z
      .array(dataFlagSchema)
      .min(1)
      .default(['N'])
      .meta({ description: 'Flags of samples that count as valid (with no failed check)' }),
    closeDelay: boundedDuration(0, 600_000)
      .default(30_000)
      .meta({ description: 'Wait after a minute ends for its last readings before closing it' }),
  })
  .meta({ description: 'Minute, hour and day records: validity rules and the flag rule' });

const scheduleSchema = z.strictObject({
  cron: z.string().refine((s) => isCronExpression(s), {
    message: 'expected a cron expression such as "0 2 * * *" (minute hour day-of-month month day-of-week)',
  }),
  duration: boundedDuration(1000, DAY_MS),
  flag: z.enum(['C', 'M']).default('C').meta({ description: 'C calibration (default) or M maintenance' }),
  devices: z
    .array(z.string())
    .min(1)
    .optional()
    .meta({ description: 'Device ids the window applies to (default: every device)' }),
  settling: boundedDuration(0, DAY_MS).optional().meta({ description: 'Overrides maintenance.settling' }),
});

export const maintenanceSchema = z
  .strictObject({
    settling: boundedDuration(0, DAY_MS)
      .default(300_000)
      .meta({ description: 'After a C or M stretch ends, readings keep its flag this long (default 5m)' }),
    schedules: z.array(scheduleSchema).default([]).meta({
      description: 'Recurring calibration/maintenance windows in station time, e.g. daily zero/span at 02:00',
    }),
  })
  .meta({ description: 'Calibration and maintenance windows' });

export type ChannelQcConfig = z.output<typeof channelQcSchema>;
export type CumulativeConfig = z.output<typeof cumulativeSchema>;
export type AggregationConfig = z.output<typeof aggregationSchema>;
export type MaintenanceConfig = z.output<typeof maintenanceSchema>;
export type MaintenanceScheduleConfig = MaintenanceConfig['schedules'][number];

/** Schedules naming a device that does not exist. Accepts any value (see referenceProblems). */
export function scheduleDeviceProblems(
  maintenance: unknown,
  deviceIds: ReadonlySet<string>,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const schedules =
    isRecord(maintenance) && Array.isArray(maintenance.schedules) ? maintenance.schedules : [];
  schedules.forEach((s, i) => {
    const devices = isRecord(s) && Array.isArray(s.devices) ? s.devices : [];
    devices.forEach((d, j) => {
      if (typeof d === 'string' && !deviceIds.has(d)) {
        const known = [...deviceIds].join(', ') || 'none defined';
        problems.push({
          path: ['maintenance', 'schedules', i, 'devices', j],
          message: `unknown device "${d}" (devices: ${known})`,
        });
      }
    });
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
