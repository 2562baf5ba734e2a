import { z } from 'zod';
import { boundedDuration } from './duration.js';

/**
 * Remote commands an MQTT uplink accepts on {topicPrefix}/{station}/cmd/{name} (docs/mqtt-contract.md).
 * Kept apart from schema.ts so the command surface is reviewed in one place.
 */
export const COMMAND_NAMES = [
  'ping',
  'status',
  'resend',
  'config/get',
  'config/set',
  'config/rollback',
  'log-level',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** Secure by default: only the read-only, harmless commands unless the config opts in. */
export const DEFAULT_ALLOWED_COMMANDS: CommandName[] = ['ping', 'status'];

export const commandsSchema = z
  .strictObject({
    allow: z
      .array(z.enum(COMMAND_NAMES))
      .default(DEFAULT_ALLOWED_COMMANDS)
      .meta({ description: 'Commands accepted from the broker; others are refused with status 403' }),
    resendRate: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .meta({ description: 'Batches per second a resend publishes at most, so live data keeps priority' }),
  })
  .meta({ description: 'Remote commands on {topicPrefix}/{station}/cmd/{name}' });

/** Top-level `reload:` — how a config received by `config/set` is applied and when it is rolled back. */
export const reloadSchema = z.strictObject({
  rollbackAfter: boundedDuration(1000, 3_600_000)
    .default(120_000)
    .meta({ description: 'A new config leaving every device failing this long is rolled back' }),
});
