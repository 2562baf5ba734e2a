/**
 * Times and durations as the status page shows them: always the station's wall clock
 * (config station.timezone), never the browser's, since the technician's laptop may be set to
 * another zone or to UTC, and the station's records are kept in station time. Numeric fields are
 * built from Intl's parts, so the text is the same in every browser and in Node.
 *
 * These functions also run in the browser: statusPage.ts copies their source into the page
 * (sharedFunctions.ts). Each uses only its parameters, built-ins and other shared functions.
 */

export type PageLang = 'zh' | 'en';

export interface StationTimeParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

/** Wall-clock fields of `ms` in `timeZone`, zero-padded (hour 00-23). */
export function stationTimeParts(ms: number, timeZone: string): StationTimeParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** zh `2026-03-14 09:05:07`, en `14 Mar 2026 09:05:07`, in the station's zone; `-` for no time. */
export function formatStationTime(ms: number | null | undefined, timeZone: string, lang: PageLang): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  const p = stationTimeParts(ms, timeZone);
  const clock = `${p.hour}:${p.minute}:${p.second}`;
  if (lang === 'zh') return `${p.year}-${p.month}-${p.day} ${clock}`;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${Number(p.day)} ${months[Number(p.month) - 1]} ${p.year} ${clock}`;
}

/** A chart axis label: `09:05`, with the date in front when asked (zh `03-14 09:05`, en `14 Mar 09:05`). */
export function formatAxisTime(ms: number, timeZone: string, lang: PageLang, withDate: boolean): string {
  const p = stationTimeParts(ms, timeZone);
  const clock = `${p.hour}:${p.minute}`;
  if (!withDate) return clock;
  if (lang === 'zh') return `${p.month}-${p.day} ${clock}`;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${Number(p.day)} ${months[Number(p.month) - 1]} ${clock}`;
}

/** The zone's offset from UTC at `ms`: `UTC+8`, `UTC-4`, `UTC+5:30`, `UTC`. */
export function utcOffsetLabel(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'shortOffset' }).formatToParts(
    new Date(ms),
  );
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const label = name.replace('GMT', 'UTC');
  // ICU spells zero "GMT" or "GMT+0" depending on its version.
  return /^UTC[+-]0(:00)?$/.test(label) ? 'UTC' : label;
}

/** A length of time in its largest unit and the next (if not 0): zh `2小时5分`, en `2 h 5 min`; whole seconds at least. */
export function formatDuration(ms: number, lang: PageLang): string {
  const abs = Math.abs(ms);
  const zh = lang === 'zh';
  // Under a second is "now" for a person (a backlog's age, a line's flicker): not worth milliseconds.
  if (abs < 1000) return zh ? '不到1秒' : 'under 1 s';
  const s = Math.round(abs / 1000);
  const sizes = [86_400, 3600, 60, 1];
  const zhUnits = ['天', '小时', '分', '秒'];
  const enUnits = ['d', 'h', 'min', 's'];
  const part = (n: number, k: number) => (zh ? `${n}${zhUnits[k]}` : `${n} ${enUnits[k]}`);
  const i = sizes.findIndex((size) => s >= size);
  const size = sizes[i] as number;
  const major = Math.floor(s / size);
  const next = sizes[i + 1];
  const minor = next === undefined ? 0 : Math.floor((s % size) / next);
  return minor > 0 ? `${part(major, i)}${zh ? '' : ' '}${part(minor, i + 1)}` : part(major, i);
}
