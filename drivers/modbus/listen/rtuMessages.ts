/**
 * What a CRC-valid RTU frame seen on the line can be. A listener does not know who spoke: the same
 * bytes may be a request or an answer (an 8-byte FC01 frame is a read request, or the answer to a
 * read of 17..24 coils; FC05/06 answers echo their requests). So a frame yields every reading that
 * fits, and the request pairer picks one from what the line said before.
 *
 * Function codes: 1-4 (reads) fully; 5, 6, 15, 16 (writes) enough to frame and skip them; their
 * exceptions (function | 0x80) as exceptions. Modbus Application Protocol v1.1b3 §6.
 */

export type ListenTable = 'coil' | 'discrete' | 'holding' | 'input';
export type ReadFunction = 1 | 2 | 3 | 4;
export type WriteFunction = 5 | 6 | 15 | 16;

export const TABLE_OF_FUNCTION: Record<ReadFunction, ListenTable> = {
  1: 'coil',
  2: 'discrete',
  3: 'holding',
  4: 'input',
};
export const FUNCTION_OF_TABLE: Record<ListenTable, ReadFunction> = {
  coil: 1,
  discrete: 2,
  holding: 3,
  input: 4,
};

/** Unit, function, exception code, CRC. */
const EXCEPTION_LENGTH = 5;
/** The serial-line ADU limit. */
export const MAX_RTU_FRAME = 256;
/** Broadcast (0) is only for writes; 248..255 are reserved. */
const MAX_UNIT = 247;

export type RtuMessage =
  | { kind: 'readRequest'; unit: number; fn: ReadFunction; address: number; quantity: number }
  | { kind: 'readAnswer'; unit: number; fn: ReadFunction; data: Buffer }
  | { kind: 'exception'; unit: number; fn: number; code: number }
  /** A write request, or the answer to one: skipped, but seen by the census and the pairer. */
  | { kind: 'write'; unit: number; fn: WriteFunction; address: number; quantity: number };

export function isReadFunction(fn: number): fn is ReadFunction {
  return fn >= 1 && fn <= 4;
}
function isWriteFunction(fn: number): fn is WriteFunction {
  return fn === 5 || fn === 6 || fn === 15 || fn === 16;
}

/** The most a read request may ask for (coils/inputs in bits, registers in words). */
export function maxReadQuantity(fn: ReadFunction): number {
  return fn <= 2 ? 2000 : 125;
}

/** Data bytes of a normal answer to a read of `quantity` items. */
export function answerByteCount(fn: ReadFunction, quantity: number): number {
  return fn <= 2 ? Math.ceil(quantity / 8) : 2 * quantity;
}

/**
 * The frame lengths that bytes starting at `at` may have, from their header alone; `undefined`
 * when too few bytes have arrived to tell (wait for more), `[]` when no frame starts here.
 */
export function candidateLengths(buf: Uint8Array, at: number): number[] | undefined {
  const have = buf.length - at;
  if (have < 2) return have === 1 && buf[at]! > MAX_UNIT ? [] : undefined;
  const unit = buf[at]!;
  if (unit > MAX_UNIT) return [];
  const fn = buf[at + 1]!;
  if (fn & 0x80) return isReadFunction(fn & 0x7f) || isWriteFunction(fn & 0x7f) ? [EXCEPTION_LENGTH] : [];
  if (isReadFunction(fn)) {
    if (have < 3) return undefined;
    const bytes = buf[at + 2]!;
    const out = [8];
    if (bytes > 0 && (fn <= 2 || bytes % 2 === 0) && 5 + bytes <= MAX_RTU_FRAME) out.push(5 + bytes);
    return out;
  }
  if (fn === 5 || fn === 6) return [8];
  if (fn === 15 || fn === 16) {
    if (have < 7) return undefined;
    return [8, 9 + buf[at + 6]!];
  }
  return [];
}

/** Every message a CRC-valid frame can be read as (possibly none: then it is noise). */
export function interpretFrame(frame: Buffer): RtuMessage[] {
  const unit = frame[0]!;
  const fn = frame[1]!;
  const out: RtuMessage[] = [];
  if (fn & 0x80) {
    if (frame.length === EXCEPTION_LENGTH)
      out.push({ kind: 'exception', unit, fn: fn & 0x7f, code: frame[2]! });
    return out;
  }
  if (isReadFunction(fn)) {
    if (frame.length === 8 && unit !== 0) {
      const address = frame.readUInt16BE(2);
      const quantity = frame.readUInt16BE(4);
      if (quantity >= 1 && quantity <= maxReadQuantity(fn) && address + quantity <= 0x10000) {
        out.push({ kind: 'readRequest', unit, fn, address, quantity });
      }
    }
    const bytes = frame[2]!;
    if (unit !== 0 && frame.length === 5 + bytes && bytes > 0 && (fn <= 2 || bytes % 2 === 0)) {
      out.push({ kind: 'readAnswer', unit, fn, data: Buffer.from(frame.subarray(3, 3 + bytes)) });
    }
    return out;
  }
  if (isWriteFunction(fn) && frame.length >= 8) {
    const address = frame.readUInt16BE(2);
    const quantity = fn === 5 || fn === 6 ? 1 : frame.readUInt16BE(4);
    out.push({ kind: 'write', unit, fn, address, quantity });
  }
  return out;
}
