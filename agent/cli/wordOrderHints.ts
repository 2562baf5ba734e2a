import { decodeValue, registerCount, significantDigits } from '../../drivers/modbus/decode.js';
import { type RegisterType, WORD_ORDERS, type WordOrder } from '../config/schema.js';
import { engineeringValue } from '../core/decimal.js';

/**
 * What a multi-register value would read as in the other word orders, so a technician running
 * `station-agent read` sees a wrong `order:` at a glance: 25.5 stored low word first reads as
 * 2.36e-41 in ABCD, 25.5 in CDAB. Plus a cautious guess for floats: when the configured order gives
 * an implausible float, name the order that gives a plausible one (see suggestOrder).
 */

export interface OrderReading {
  order: WordOrder;
  /** Engineering value (scale and offset applied); NaN/±Infinity kept as decoded. */
  value: number;
}

/** Types that span several registers: only for these does the word order change the value. */
export function hasWordOrder(type: RegisterType): boolean {
  return registerCount(type) > 1;
}

/** The value in each order other than `order`, in WORD_ORDERS order; [] for one-register types. */
export function otherOrders(
  words: readonly number[],
  type: RegisterType,
  order: WordOrder = 'ABCD',
  scale = 1,
  offset = 0,
): OrderReading[] {
  if (!hasWordOrder(type) || words.length < registerCount(type)) return [];
  return WORD_ORDERS.filter((o) => o !== order).map((o) => ({
    order: o,
    value: engineeringValue(decodeValue(words, type, o), scale, offset, significantDigits(type)),
  }));
}

/**
 * A value as the agent stores it: decoding gives a float32 as its shortest decimal (decode.ts) and
 * scale/offset add no binary noise (decimal.ts), so the plain number text is what the store, MQTT and
 * this table all show.
 */
export function formatValue(value: number | null): string {
  if (value === null) return '—';
  return String(value);
}

/** `CDAB=25.5, BADC=-1.2e-12, DCBA=4.1e+07` */
export function formatOtherOrders(readings: readonly OrderReading[]): string {
  return readings.map((r) => `${r.order}=${formatValue(r.value)}`).join(', ');
}

/**
 * A float an analyzer might plausibly report: zero, or a magnitude from 1e-6 to 1e7. A wrong word
 * order mostly yields denormals (a 0x0000 low word moved to the top) or a random exponent.
 */
export function plausibleFloat(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const a = Math.abs(value);
  return a === 0 || (a >= 1e-6 && a <= 1e7);
}

/** The order with the two words exchanged: the usual mistake (low word first or not). */
const WORD_SWAPPED: Record<WordOrder, WordOrder> = { ABCD: 'CDAB', CDAB: 'ABCD', BADC: 'DCBA', DCBA: 'BADC' };

/**
 * For float channels whose configured order decodes to an implausible float: the order to suggest.
 * The word-swapped order first (by far the most common mistake), when it is plausible; otherwise
 * the one other order that is, if exactly one is. Undefined when the configured value is plausible,
 * when nothing is clear, and for integer types (magnitude says nothing there). Judged on the raw
 * float, before scale.
 */
export function suggestOrder(
  words: readonly number[],
  type: RegisterType,
  order: WordOrder = 'ABCD',
): WordOrder | undefined {
  if ((type !== 'float32' && type !== 'float64') || words.length < registerCount(type)) return undefined;
  if (plausibleFloat(decodeValue(words, type, order))) return undefined;
  const swapped = WORD_SWAPPED[order];
  if (plausibleFloat(decodeValue(words, type, swapped))) return swapped;
  const candidates = otherOrders(words, type, order).filter((r) => plausibleFloat(r.value));
  return candidates.length === 1 ? candidates[0]!.order : undefined;
}
