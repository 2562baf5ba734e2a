import type { DataFlag } from '../../agent/core/reading.js';
import { decodeValue, registerCount } from './decode.js';
import type {
  MeasurementTimeSettings as MeasurementTimeConfig,
  RegisterSettings as RegisterConfig,
  StatusSettings as StatusConfig,
} from './modbusSettings.js';
import type { RegisterItem } from './requestPlanner.js';

/**
 * The instrument state of a Modbus device and the data flag it gives every reading, from a state
 * register (value -> flag), from state bits (coils, discrete inputs or masked register bits, as gas
 * analyzers expose zero/span/service modes), or both; and the time of the last measurement that
 * cycle analyzers report. Kept out of devicePoller so the poller stays about reading and flagging.
 */

/** Planner key of the status register; channel ids cannot contain '$', so it never collides. */
export const STATUS_KEY = '$status';
/** Planner key of the measurement time registers. */
export const MEASUREMENT_TIME_KEY = '$measurementTime';

function bitKey(index: number): string {
  return `${STATUS_KEY}.bit${index}`;
}

/** The register reads the status needs, for the request planner. */
export function statusItems(status: StatusConfig | undefined): RegisterItem[] {
  if (!status) return [];
  const items: RegisterItem[] = [];
  if (status.register) items.push(registerItem(STATUS_KEY, status.register));
  status.bits?.forEach((b, i) => {
    items.push(registerItem(bitKey(i), b.register));
  });
  return items;
}

export function registerItem(key: string, reg: RegisterConfig): RegisterItem {
  return { key, table: reg.table, address: reg.address, count: registerCount(reg.type) };
}

export interface InstrumentState {
  /**
   * The state register's value; without a register, the bits as a number (bit i = rule i is set).
   * Null without a status, when any part of it could not be read, or when not a finite number.
   */
  state: number | null;
  flag: DataFlag;
}

/**
 * N without a status or when any part of it was unreadable (the value is kept: see devicePoller).
 * Otherwise the first bit rule in its `when` state, else the register mapping (flags[state], or
 * `default` for an unlisted or non-finite state), else N.
 */
export function instrumentState(
  status: StatusConfig | undefined,
  words: ReadonlyMap<string, number[]>,
): InstrumentState {
  if (!status) return { state: null, flag: 'N' };
  const regWords = status.register ? words.get(STATUS_KEY) : undefined;
  if (status.register && !regWords) return { state: null, flag: 'N' };
  const bits: boolean[] = [];
  for (const [i, rule] of (status.bits ?? []).entries()) {
    const w = words.get(bitKey(i));
    const set = w ? bitIsSet(w, rule.register, rule.mask) : undefined;
    if (set === undefined) return { state: null, flag: 'N' };
    bits.push(set);
  }

  const registerState = status.register && regWords ? decodeState(regWords, status.register) : null;
  const state = status.register ? registerState : bits.reduce((acc, set, i) => (set ? acc + 2 ** i : acc), 0);
  const bitRules = status.bits ?? [];
  for (const [i, rule] of bitRules.entries()) {
    if (bits[i] === (rule.when === 'set')) return { state, flag: rule.flag };
  }
  if (!status.register) return { state, flag: 'N' };
  if (registerState === null) return { state, flag: status.default };
  return { state, flag: status.flags[String(registerState)] ?? status.default };
}

function decodeState(words: number[], reg: RegisterConfig): number | null {
  try {
    const v = decodeValue(words, reg.type, reg.order ?? 'ABCD');
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** Whether a status bit is set; undefined when the words do not decode. */
function bitIsSet(words: number[], reg: RegisterConfig, mask: number | undefined): boolean | undefined {
  const v = decodeState(words, reg);
  if (v === null || !Number.isInteger(v)) return undefined;
  if (mask === undefined) return v !== 0;
  return (BigInt(v) & BigInt(mask)) !== 0n;
}

/** The measurement time registers, for the request planner. */
export function measurementTimeItem(t: MeasurementTimeConfig | undefined): RegisterItem[] {
  if (!t) return [];
  return [
    { key: MEASUREMENT_TIME_KEY, table: t.table, address: t.address, count: t.format === 'bcd' ? 3 : 2 },
  ];
}

/**
 * Epoch milliseconds of the analyzer's last measurement, or null when the registers do not hold a
 * valid time (unread, not BCD, an impossible date such as month 13, or all zero: "never measured").
 */
export function decodeMeasurementTime(t: MeasurementTimeConfig, words: number[] | undefined): number | null {
  if (!words) return null;
  if (t.format === 'epoch') {
    if (words.length < 2) return null;
    const seconds = decodeValue(words, 'uint32', t.order ?? 'ABCD');
    return seconds === 0 ? null : seconds * 1000;
  }
  if (words.length < 3) return null;
  const bytes = words.slice(0, 3).flatMap((w) => [(w >> 8) & 0xff, w & 0xff]);
  const parts = bytes.map(fromBcd);
  if (parts.some((p) => p === undefined)) return null;
  const [yy, mo, dd, hh, mi, ss] = parts as number[];
  if (mo! < 1 || mo! > 12 || dd! < 1 || dd! > 31 || hh! > 23 || mi! > 59 || ss! > 59) return null;
  const utc = Date.UTC(2000 + yy!, mo! - 1, dd!, hh!, mi!, ss!);
  // Date.UTC rolls 31 April over to 1 May; a date that does not exist is not a time.
  if (new Date(utc).getUTCDate() !== dd) return null;
  return utc - offsetMinutes(t.utcOffset) * 60_000;
}

function fromBcd(byte: number): number | undefined {
  const hi = byte >> 4;
  const lo = byte & 0x0f;
  return hi > 9 || lo > 9 ? undefined : hi * 10 + lo;
}

function offsetMinutes(offset: string): number {
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  return sign * ((h ?? 0) * 60 + (m ?? 0));
}
