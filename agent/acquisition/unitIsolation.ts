import type { DeviceConfig } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { PollResult } from '../core/pollOutcome.js';

/**
 * Failing-unit isolation. A unit that does not answer costs its line a full timeout (times the
 * retries) on every poll, time the other units on the line then wait for. After `after` polls in a
 * row without an answer it is polled at the reduced interval only; its first answer brings it back
 * to its own interval. Its readings stay flagged B meanwhile (each failed poll yields B readings).
 *
 * What a poll says about the unit:
 * - silent: a request timed out (the only failure that costs the line time);
 * - answered: every request was answered (ok), or the unit answered with an exception (it is
 *   alive, and an exception costs no line time);
 * - neutral: the bus was down (not the unit's fault) or answers were garbled (a noisy line, which
 *   retries handle): no change either way.
 */

export type PollVerdict = 'answered' | 'silent' | 'neutral';

export const DEFAULT_ISOLATION = { after: 3, interval: 60_000 } as const;

export function pollVerdict(result: Pick<PollResult, 'ok' | 'errors'>): PollVerdict {
  if (result.ok) return 'answered';
  const codes = new Set(result.errors.map((e) => e.code));
  if (codes.has('MODBUS_TIMEOUT')) return 'silent';
  if (codes.has('MODBUS_EXCEPTION') && !codes.has('MODBUS_DISCONNECTED')) return 'answered';
  return 'neutral';
}

export interface UnitIsolation {
  /** The interval to poll at after this poll: the reduced one while isolated. */
  record(verdict: PollVerdict): number;
  readonly isolated: boolean;
  readonly intervalMs: number;
}

export function createUnitIsolation(
  device: Pick<DeviceConfig, 'interval' | 'isolation'>,
  log: Logger,
): UnitIsolation {
  const after = device.isolation?.after ?? DEFAULT_ISOLATION.after;
  const normalMs = device.interval;
  // Never faster than the device's own interval: isolation only ever slows a unit down.
  const reducedMs = Math.max(normalMs, device.isolation?.interval ?? DEFAULT_ISOLATION.interval);
  let silentInARow = 0;
  let isolated = false;

  return {
    record(verdict) {
      if (verdict === 'answered') {
        silentInARow = 0;
        if (isolated) {
          isolated = false;
          log.info({ intervalMs: normalMs }, 'device answering again: back to its poll interval');
        }
      } else if (verdict === 'silent') {
        silentInARow++;
        if (!isolated && after > 0 && silentInARow >= after && reducedMs > normalMs) {
          isolated = true;
          log.warn(
            { silentPolls: silentInARow, intervalMs: reducedMs },
            'device not answering: polling it at the reduced rate until it answers (readings flagged B)',
          );
        }
      }
      return isolated ? reducedMs : normalMs;
    },
    get isolated() {
      return isolated;
    },
    get intervalMs() {
      return isolated ? reducedMs : normalMs;
    },
  };
}
