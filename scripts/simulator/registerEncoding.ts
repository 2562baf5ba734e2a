/**
 * Engineering value -> 16-bit register words, the way a field analyzer lays them out.
 *
 * Written independently of the agent's decoder (drivers/modbus/decode.ts) on purpose: tests run
 * the two against each other, so a shared misunderstanding of a byte order cannot hide.
 *
 * Conventions (same names as the station config):
 *  - ABCD: big-endian, most significant word first (the Modbus default).
 *  - CDAB: word swap — the words in reverse order (least significant word first), bytes in each
 *          word big-endian. For 64-bit types all four words are reversed.
 *  - BADC: bytes swapped inside each word, words most significant first.
 *  - DCBA: fully little-endian (all bytes reversed).
 * A single-register type (int16/uint16) has one word, so ABCD = CDAB and BADC = DCBA (byte swap).
 */

export const SIM_REGISTER_TYPES = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'float32',
  'int64',
  'uint64',
  'float64',
] as const;
export const SIM_WORD_ORDERS = ['ABCD', 'BADC', 'CDAB', 'DCBA'] as const;

export type SimRegisterType = (typeof SIM_REGISTER_TYPES)[number];
export type SimWordOrder = (typeof SIM_WORD_ORDERS)[number];

/** Registers a value of `type` occupies (a bool lives in a coil/discrete bit, counted as one). */
export function registerCount(type: SimRegisterType): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
  }
}

export function isIntegerType(type: SimRegisterType): boolean {
  return type !== 'float32' && type !== 'float64' && type !== 'bool';
}

const INT_RANGES: Partial<Record<SimRegisterType, readonly [number, number]>> = {
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};
const BIGINT_RANGES: Partial<Record<SimRegisterType, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/**
 * The raw number an instrument stores so that the agent's `raw × scale + offset` gives back
 * `value`. Integer types round to the nearest step, as a real transmitter quantizes.
 */
export function toRaw(value: number, type: SimRegisterType, scale = 1, offset = 0): number {
  if (scale === 0) throw new RangeError('scale must not be 0');
  const raw = (value - offset) / scale;
  return isIntegerType(type) ? Math.round(raw) : raw;
}

/**
 * Encodes a raw number as register words in the given order. Integers outside the type's range
 * saturate (a transmitter pins at its limit rather than wrapping); NaN integers encode as 0.
 */
export function encodeRaw(raw: number, type: SimRegisterType, order: SimWordOrder = 'ABCD'): number[] {
  if (type === 'bool') throw new TypeError('bool is a single bit, not a register value');
  const bytes = Buffer.alloc(registerCount(type) * 2);
  switch (type) {
    case 'int16':
      bytes.writeInt16BE(saturate(raw, type), 0);
      break;
    case 'uint16':
      bytes.writeUInt16BE(saturate(raw, type), 0);
      break;
    case 'int32':
      bytes.writeInt32BE(saturate(raw, type), 0);
      break;
    case 'uint32':
      bytes.writeUInt32BE(saturate(raw, type), 0);
      break;
    case 'float32':
      bytes.writeFloatBE(raw, 0);
      break;
    case 'float64':
      bytes.writeDoubleBE(raw, 0);
      break;
    case 'int64':
      bytes.writeBigInt64BE(saturateBig(raw, type), 0);
      break;
    case 'uint64':
      bytes.writeBigUInt64BE(saturateBig(raw, type), 0);
      break;
  }
  return toWords(reorder(bytes, order));
}

/** Convenience: engineering value straight to words (`toRaw` then `encodeRaw`). */
export function encodeValue(
  value: number,
  type: SimRegisterType,
  order: SimWordOrder = 'ABCD',
  scale = 1,
  offset = 0,
): number[] {
  return encodeRaw(toRaw(value, type, scale, offset), type, order);
}

/** Rearranges big-endian bytes into the wire order of `order`. */
function reorder(be: Buffer, order: SimWordOrder): Buffer {
  const n = be.length;
  const out = Buffer.alloc(n);
  const words = n / 2;
  for (let w = 0; w < words; w++) {
    const hi = be[w * 2]!;
    const lo = be[w * 2 + 1]!;
    switch (order) {
      case 'ABCD':
        out[w * 2] = hi;
        out[w * 2 + 1] = lo;
        break;
      case 'BADC':
        out[w * 2] = lo;
        out[w * 2 + 1] = hi;
        break;
      case 'CDAB': {
        const dst = words - 1 - w;
        out[dst * 2] = hi;
        out[dst * 2 + 1] = lo;
        break;
      }
      case 'DCBA': {
        const dst = words - 1 - w;
        out[dst * 2] = lo;
        out[dst * 2 + 1] = hi;
        break;
      }
    }
  }
  return out;
}

function toWords(buf: Buffer): number[] {
  const words: number[] = [];
  for (let i = 0; i < buf.length; i += 2) words.push(buf.readUInt16BE(i));
  return words;
}

function saturate(raw: number, type: SimRegisterType): number {
  const [min, max] = INT_RANGES[type]!;
  if (Number.isNaN(raw)) return 0;
  return Math.min(max, Math.max(min, Math.round(raw)));
}

function saturateBig(raw: number, type: SimRegisterType): bigint {
  const [min, max] = BIGINT_RANGES[type]!;
  if (Number.isNaN(raw)) return 0n;
  if (raw === Number.POSITIVE_INFINITY) return max;
  if (raw === Number.NEGATIVE_INFINITY) return min;
  const big = BigInt(Math.round(raw));
  return big < min ? min : big > max ? max : big;
}
