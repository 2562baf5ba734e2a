/**
 * HJ 212 times (`QN`, `DataTime`, `SystemTime`, `BeginTime`…) are the station's local wall time with
 * no zone on the wire: `yyyyMMddHHmmss`, plus `SSS` in a QN. Chinese platforms assume Beijing time,
 * hence the default; the zone stays a parameter for the rare station configured otherwise.
 */
import { ZonedTime } from '../../agent/core/zonedTime.js';
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** The local wall time of an instant, as if it were UTC (epoch ms). Whole seconds. */
function localAsUtc(ms: number, timeZone: string): number {
  return ZonedTime.of(timeZone).wallAsUtc(ms);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `yyyyMMddHHmmss` (or with `SSS` for a QN) of an epoch-ms instant in the given zone. */
export function formatHjTime(ms: number, opts: { timeZone?: string; millis?: boolean } = {}): string {
  const local = new Date(localAsUtc(ms, opts.timeZone ?? DEFAULT_TIME_ZONE));
  const text =
    `${pad(local.getUTCFullYear(), 4)}${pad(local.getUTCMonth() + 1)}${pad(local.getUTCDate())}` +
    `${pad(local.getUTCHours())}${pad(local.getUTCMinutes())}${pad(local.getUTCSeconds())}`;
  // Zone offsets are whole seconds, so the milliseconds are those of the instant itself.
  return opts.millis ? `${text}${pad(((ms % 1000) + 1000) % 1000, 3)}` : text;
}

/**
 * Epoch ms of a `yyyyMMddHHmmss` (or `…SSS`) local time, or undefined for text that is not one
 * (wrong length, month 13, 30 February). A time that a DST change makes ambiguous takes the first.
 */
export function parseHjTime(text: string, timeZone: string = DEFAULT_TIME_ZONE): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})?$/.exec(text);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = m[7] === undefined ? 0 : Number(m[7]);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s, millis);
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  // Guess the offset at the wall time, then correct once with the offset at the guessed instant.
  let result = asUtc - (localAsUtc(asUtc, timeZone) - Math.floor(asUtc / 1000) * 1000);
  const offset = localAsUtc(result, timeZone) - Math.floor(result / 1000) * 1000;
  result = asUtc - offset;
  return result;
}
