import { z } from 'zod';
import { boundedDuration } from './duration.js';

/**
 * Top-level `watchdog:` — the agent's self-watchdog (agent/app/selfWatchdog.ts), the documented
 * equivalent of systemd's Type=notify + WatchdogSec: a stalled agent exits (code 70) and systemd's
 * Restart=on-failure starts it again.
 */
export const watchdogSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    stallAfter: boundedDuration(10_000, 3_600_000).default(60_000).meta({
      description:
        'Exit (code 70, for Restart=on-failure) when the event loop stalls this long, or no poll completes within the longer of this and 3 × the longest device interval',
    }),
  })
  .meta({ description: 'Self-watchdog: a stalled agent exits so systemd restarts it' });

export type WatchdogConfig = z.output<typeof watchdogSchema>;
