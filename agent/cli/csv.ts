import { InvalidArgumentError } from 'commander';

/**
 * CSV text and station-local time for `station-agent export`. RFC 4180 quoting; CRLF line ends
 * (what spreadsheet programs and RFC 4180 expect; Excel on the data center's PCs opens it as is).
 */

export const CSV_EOL = '\r\n';

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

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * Wall-clock time in an IANA zone. One Intl formatter per zone, reused for every row: creating
 * one is the expensive part (tens of microseconds), formatting is cheap.
 */
export class ZonedTime {
  private readonly fmt: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  /** Minutes the zone is ahead of UTC at instant `ts` (ms). */
  offsetMinutes(ts: number): number {
    const wholeSecond = Math.floor(ts / 1000) * 1000;
    return Math.round((this.wallAsUtc(wholeSecond) - wholeSecond) / 60_000);
  }

  /** `2026-11-29T08:00:00.000+08:00`: the local time with its offset, so it is unambiguous in DST folds. */
  format(ts: number): string {
    const offset = this.offsetMinutes(ts);
    const wall = new Date(ts + offset * 60_000);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset);
    return (
      `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
      `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
      `.${pad(wall.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    );
  }

  /** The instant of a local wall time (given as if it were UTC ms); in a DST gap, shifted forward. */
  fromWall(wallMs: number): number {
    // Two passes: the offset at the first guess may be the one from the other side of a change.
    const first = wallMs - this.offsetMinutes(wallMs) * 60_000;
    return wallMs - this.offsetMinutes(first) * 60_000;
  }

  private wallAsUtc(ts: number): number {
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(ts)) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  }
}

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
