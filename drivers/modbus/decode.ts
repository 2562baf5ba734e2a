import { DOUBLE_DIGITS } from '../../agent/core/decimal.js';
import type { RegisterType, WordOrder } from './registers.js';

/**
 * Register words <-> numbers. `words` are 16-bit register values exactly as read (FC03/FC04 return
 * each register high byte first), bits from coils/discrete inputs are 0/1.
 *
 * Byte/word order, Telegraf-style. Letters name the bytes of the value from most significant (A)
 * to least significant; the order string is how they appear across the registers as read.
 * Normalised once to two switches: swap the words, swap the bytes inside each word.
 *
 *   order | 32-bit registers | 64-bit generalisation                | words reversed | bytes swapped
 *   ------+------------------+--------------------------------------+----------------+--------------
 *   ABCD  | [AB] [CD]        | big-endian, most significant first   | no             | no
 *   CDAB  | [CD] [AB]        | words reversed ("low word first")    | yes            | no
 *   BADC  | [BA] [DC]        | bytes swapped in each word, in order | no             | yes
 *   DCBA  | [DC] [BA]        | fully little-endian                  | yes            | yes
 *
 * 16-bit types have one word, so only the byte swap matters: ABCD/CDAB read [AB], BADC/DCBA read [BA].
 *
 * int64/uint64 are returned as a JS number: exact up to 2^53, rounded to the nearest double beyond
 * (acceptable for analyzer counters; readings are doubles end to end anyway).
 *
 * float32 is returned as the decimal the instrument meant, not as the double nearest the float: the
 * register 0x40F33333 reads 7.6 (not 7.599999904632568), the shortest decimal that is the same float32
 * (shortestFloat32). Every later step (store, MQTT, HJ 212, exports) then sees the same clean number,
 * and two honest systems reading the same analyzer agree. See docs/values.md.
 */

const ORDER_SWITCHES: Record<WordOrder, { swapWords: boolean; swapBytes: boolean }> = {
  ABCD: { swapWords: false, swapBytes: false },
  CDAB: { swapWords: true, swapBytes: false },
  BADC: { swapWords: false, swapBytes: true },
  DCBA: { swapWords: true, swapBytes: true },
};

const REGISTER_COUNT: Record<RegisterType, number> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

/** Registers (or bits, for bool) one value of `type` occupies. */
export function registerCount(type: RegisterType): number {
  return REGISTER_COUNT[type];
}

/** Decodes one value from the first `registerCount(type)` words. Throws RangeError on too few words. */
export function decodeValue(words: readonly number[], type: RegisterType, order: WordOrder = 'ABCD'): number {
  const n = REGISTER_COUNT[type];
  if (words.length < n) {
    throw new RangeError(`${type} needs ${n} register(s), got ${words.length}`);
  }
  if (type === 'bool') return words[0] ? 1 : 0;

  const view = toBigEndian(words.slice(0, n), order);
  switch (type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'float32':
      return shortestFloat32(view.getFloat32(0));
    case 'int64':
      return Number(view.getBigInt64(0));
    case 'uint64':
      return Number(view.getBigUint64(0));
    case 'float64':
      return view.getFloat64(0);
  }
}

/** Significant digits that always suffice to tell float32 values apart (IEEE 754: ⌈24·log10 2⌉ + 1). */
const FLOAT32_DIGITS = 9;

/**
 * Significant digits a decoded value of `type` carries: what `raw × scale` may keep (engineeringValue).
 * A float32 is told apart from its neighbours by 9; integers and float64 by a double's 15.
 */
export function significantDigits(type: RegisterType): number {
  return type === 'float32' ? FLOAT32_DIGITS : DOUBLE_DIGITS;
}

/**
 * The shortest decimal (1 to 9 significant digits) that reads back as the same float32: `Math.fround`
 * of the result is `f`, and no decimal with fewer digits is. `f` must be a float32 value (decoded from
 * a register, or Math.fround); NaN, ±Infinity and ±0 are returned as they are.
 *
 * For each length p the nearest p-digit decimal is tried first, then its two p-digit neighbours: next
 * to a power of two the float's rounding interval is lopsided (the gap below is half the gap above),
 * so the nearest p-digit decimal can fall outside while the next one up lies inside.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p <= FLOAT32_DIGITS; p++) {
    const text = f.toExponential(p - 1); // "7.6e+0": the nearest p-digit decimal
    const at = text.indexOf('e');
    // At most 9 digits: a Number holds the mantissa exactly (no BigInt, no array on the polling path).
    const mantissa = Number(text.slice(0, at).replace('.', ''));
    const exponent = Number(text.slice(at + 1)) - (p - 1);
    for (let k = 0; k < 3; k++) {
      const m = k === 0 ? mantissa : k === 1 ? mantissa - 1 : mantissa + 1;
      const candidate = Number(`${m}e${exponent}`);
      if (Math.fround(candidate) === f) return candidate;
    }
  }
  return f; // unreachable for a float32: 9 digits always round-trip
}

/**
 * Inverse of decodeValue: the words a device would hold for `value` (simulator, golden tests).
 * Integer types require an integer in range (RangeError otherwise): silently wrapping would make a
 * simulator serve a different value than the test expects. Floats round to the nearest float32/64.
 */
export function encodeValue(value: number, type: RegisterType, order: WordOrder = 'ABCD'): number[] {
  if (type === 'bool') return [value ? 1 : 0];
  const n = REGISTER_COUNT[type];
  const view = new DataView(new ArrayBuffer(n * 2));
  switch (type) {
    case 'int16':
      view.setInt16(0, checkInt(value, type, -0x8000, 0x7fff));
      break;
    case 'uint16':
      view.setUint16(0, checkInt(value, type, 0, 0xffff));
      break;
    case 'int32':
      view.setInt32(0, checkInt(value, type, -0x8000_0000, 0x7fff_ffff));
      break;
    case 'uint32':
      view.setUint32(0, checkInt(value, type, 0, 0xffff_ffff));
      break;
    case 'float32':
      view.setFloat32(0, value);
      break;
    case 'int64':
      view.setBigInt64(0, checkBigInt(value, type, -(2n ** 63n), 2n ** 63n - 1n));
      break;
    case 'uint64':
      view.setBigUint64(0, checkBigInt(value, type, 0n, 2n ** 64n - 1n));
      break;
    case 'float64':
      view.setFloat64(0, value);
      break;
  }
  const bigEndianWords: number[] = [];
  for (let i = 0; i < n; i++) bigEndianWords.push(view.getUint16(i * 2));
  return applyOrder(bigEndianWords, order);
}

/** Rearranges words as read into big-endian bytes. The transform is its own inverse. */
function toBigEndian(words: readonly number[], order: WordOrder): DataView {
  const ordered = applyOrder(words, order);
  const view = new DataView(new ArrayBuffer(ordered.length * 2));
  ordered.forEach((w, i) => {
    view.setUint16(i * 2, w & 0xffff);
  });
  return view;
}

/** Reversing words and swapping bytes are both involutions and commute: one function both ways. */
function applyOrder(words: readonly number[], order: WordOrder): number[] {
  const { swapWords, swapBytes } = ORDER_SWITCHES[order];
  const out = swapWords ? [...words].reverse() : [...words];
  return swapBytes ? out.map((w) => ((w & 0xff) << 8) | ((w >> 8) & 0xff)) : out;
}

function checkInt(value: number, type: RegisterType, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${value} is not a ${type} (an integer from ${min} to ${max})`);
  }
  return value;
}

function checkBigInt(value: number, type: RegisterType, min: bigint, max: bigint): bigint {
  if (!Number.isInteger(value)) throw new RangeError(`${value} is not a ${type} (an integer)`);
  const big = BigInt(value);
  if (big < min || big > max) throw new RangeError(`${value} is out of range for ${type}`);
  return big;
}
