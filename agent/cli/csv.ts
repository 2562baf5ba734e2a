import { InvalidArgumentError } from 'commander';
import { ZonedTime } from '../core/zonedTime.js';

/**
 * CSV text and station-local time for `station-agent export`. RFC 4180 quoting; CRLF line ends
 * (what spreadsheet programs and RFC 4180 expect). UTF-8 with a byte order mark by default: without
 * it Excel on a Chinese Windows reads the file as GBK and shows `°C` as `掳C`, `μS/cm` as `渭S/cm`.
 */

export const CSV_EOL = '\r\n';

/** U+FEFF at the start of the file: Excel then reads it as UTF-8 (`--no-bom` leaves it out). */
export const UTF8_BOM = '\uFEFF';

/**
 * `2026-11-01 08:00:00`: station wall time to the second, without `T` or offset, the form Excel on a
 * Chinese (or any) Windows takes for a date and time. Milliseconds are dropped (the UTC column keeps
 * them); the UTC column also tells apart the repeated hour of a DST fold, which China does not have.
 */
export function stationTimeText(zone: ZonedTime, ts: number): string {
  return new Date(zone.wallAsUtc(ts)).toISOString().slice(0, 19).replace('T', ' ');
}

/** One field: quoted when it holds a comma, a quote, CR or LF (quotes doubled); null is empty. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? numberText(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}${CSV_EOL}`;
}

/** Shortest text that reads back as the same double (JS String); NaN/Infinity are never stored. */
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : '';
}

export { ZonedTime };

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
const WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * `--from`/`--to`: ISO 8601 with `Z` or an offset is that instant; a date or date-time without one
 * is the station's local time (a technician thinks in the station's days, not UTC). Returns ms.
 */
export function parseTimeArg(text: string, zone: ZonedTime): number {
  const t = text.trim();
  const local = LOCAL_TIME.exec(t);
  if (local) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', ms = '0'] = local;
    const wall = Date.UTC(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(s),
      Number(ms.padEnd(3, '0')),
    );
    const check = new Date(wall);
    if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23) {
      throw new InvalidArgumentError(`"${text}" is not a valid date`);
    }
    return zone.fromWall(wall);
  }
  if (WITH_ZONE.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new InvalidArgumentError(
    `expected an ISO 8601 time such as 2026-11-01, 2026-11-01T08:00 (station time) or 2026-11-01T00:00:00Z, got "${text}"`,
  );
}
