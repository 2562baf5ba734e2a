/**
 * Wall-clock time in an IANA zone, computed with Intl and no assumption about DST (China has none,
 * other zones do). One Intl formatter per zone is created and reused: creating one is the expensive
 * part (tens of microseconds), formatting is cheap.
 */
export interface WallParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const byZone = new Map<string, ZonedTime>();

export class ZonedTime {
  private readonly fmt: Intl.DateTimeFormat;

  /** The shared instance for a zone (formatters are immutable, so sharing is safe). */
  static of(timeZone: string): ZonedTime {
    let z = byZone.get(timeZone);
    if (z === undefined) {
      z = new ZonedTime(timeZone);
      byZone.set(timeZone, z);
    }
    return z;
  }

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The local calendar fields of instant `ts` (ms), to the second. */
  parts(ts: number): WallParts {
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(ts)) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
  }

  /** The local wall time of `ts` written as if it were UTC (epoch ms), whole seconds. */
  wallAsUtc(ts: number): number {
    const t = this.parts(ts);
    return Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s);
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
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}
