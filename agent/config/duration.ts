import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Parses `500ms`, `10s`, `5m`, `1h`, `1d` to milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'; // every unit divides 0: without this it printed "0h"
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A duration setting: a string with a unit (`500ms`, `10s`, `5m`), parsed to milliseconds. */
export const duration = z
  .string()
  .regex(DURATION_RE, { message: 'expected a duration such as "500ms", "10s" or "5m"' })
  .transform((s) => parseDuration(s)!)
  .meta({ description: 'Duration with a unit: ms, s, m, h or d (e.g. "500ms", "10s", "5m")' });

/** A duration with bounds, checked after parsing so the message names the bound in the user's terms. */
export function boundedDuration(minMs: number, maxMs: number) {
  return duration.refine((ms) => ms >= minMs && ms <= maxMs, {
    message: `expected a duration between ${formatDuration(minMs)} and ${formatDuration(maxMs)}`,
  });
}
