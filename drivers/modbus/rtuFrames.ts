import { AgentError } from '../../agent/core/errors.js';
import { crc16 as crcOfRange } from './listen/rtuCrc.js';
import type { RegisterTable } from './registers.js';

/**
 * Modbus RTU frames for the four read functions: building a request, knowing how long its answer
 * is, and checking an answer before a single value is taken from it (Modbus over Serial Line
 * v1.02 §2.5; Application Protocol v1.1b3 §6.1–6.4). Pure functions, no I/O.
 *
 * A frame is: unit (1 byte), function (1), data (n), CRC-16/MODBUS (2, low byte first).
 */

export const READ_FUNCTION: Record<RegisterTable, number> = { coil: 1, discrete: 2, holding: 3, input: 4 };

/** Unit + function + exception code + CRC. */
export const EXCEPTION_FRAME_LENGTH = 5;
/** The longest RTU frame (the serial-line ADU limit). */
export const MAX_RTU_FRAME = 256;

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of bytes [0, end): the listener's arithmetic. */
export function crc16(buf: Uint8Array, end = buf.length): number {
  return crcOfRange(buf, 0, end);
}

/** The frame with its CRC appended (low byte first). */
export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.alloc(body.length + 2);
  out.set(body);
  const crc = crc16(body);
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >>> 8;
  return out;
}

/** True when the last two bytes are the CRC of the rest. */
export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16(frame, frame.length - 2);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >>> 8;
}

/** FC01/02/03/04 request: unit, function, start address, quantity, CRC (8 bytes). */
export function buildReadRequest(unit: number, table: RegisterTable, address: number, count: number): Buffer {
  const body = Buffer.alloc(6);
  body[0] = unit;
  body[1] = READ_FUNCTION[table];
  body.writeUInt16BE(address, 2);
  body.writeUInt16BE(count, 4);
  return withCrc(body);
}

/** Data bytes of a normal answer: one bit per coil/input packed in bytes, two per register. */
export function dataByteCount(table: RegisterTable, count: number): number {
  return table === 'coil' || table === 'discrete' ? Math.ceil(count / 8) : 2 * count;
}

/** Length of a normal answer: unit, function, byte count, data, CRC. */
export function responseLength(table: RegisterTable, count: number): number {
  return 5 + dataByteCount(table, count);
}

/**
 * The frame-length rule for SerialLine.transact: how many bytes the answer to this request has,
 * 0 while too few bytes have arrived to tell, -1 when the bytes cannot be its answer (another
 * unit, another function: noise or a late answer to someone else). The length comes from the
 * request, not from the answer's byte count, so a corrupted byte count cannot make us wait for
 * or cut off the wrong number of bytes.
 */
export function responseFrameLength(
  unit: number,
  table: RegisterTable,
  count: number,
): (buf: Buffer) => number {
  const fc = READ_FUNCTION[table];
  const normal = responseLength(table, count);
  return (buf) => {
    if (buf.length === 0) return 0;
    if (buf[0] !== unit) return -1;
    if (buf.length < 2) return 0;
    if (buf[1] === fc) return normal;
    if (buf[1] === (fc | 0x80)) return EXCEPTION_FRAME_LENGTH;
    return -1;
  };
}

/** Why an answer was refused; in the error's context as `reason` (the bus counts CRC failures). */
export type BadFrameReason = 'length' | 'crc' | 'unit' | 'function' | 'byteCount';

/**
 * Checks an answer to buildReadRequest(unit, table, address, count) and returns its values:
 * registers as 0..65535, bits as 0/1. Throws AgentError MODBUS_EXCEPTION (context exceptionCode)
 * for an exception answer, MODBUS_BAD_RESPONSE (context reason) for anything not exactly right.
 * The CRC is checked before anything else in the frame is believed.
 */
export function parseReadResponse(
  frame: Buffer,
  unit: number,
  table: RegisterTable,
  count: number,
): number[] {
  const fc = READ_FUNCTION[table];
  if (frame.length < EXCEPTION_FRAME_LENGTH) bad('length', `answer of ${frame.length} bytes is too short`);
  if (!crcOk(frame)) bad('crc', 'CRC mismatch');
  if (frame[0] !== unit) bad('unit', `answer from unit ${frame[0]}, expected ${unit}`);
  if (frame[1] === (fc | 0x80)) {
    if (frame.length !== EXCEPTION_FRAME_LENGTH) bad('length', `exception answer of ${frame.length} bytes`);
    const exceptionCode = frame[2]!;
    throw new AgentError('MODBUS_EXCEPTION', `Modbus exception ${exceptionCode}`, { exceptionCode });
  }
  if (frame[1] !== fc) bad('function', `answer to function ${frame[1]}, expected ${fc}`);
  const bytes = dataByteCount(table, count);
  if (frame[2] !== bytes) bad('byteCount', `byte count ${frame[2]}, expected ${bytes}`);
  if (frame.length !== 5 + bytes) bad('length', `answer of ${frame.length} bytes, expected ${5 + bytes}`);

  const out: number[] = [];
  if (table === 'coil' || table === 'discrete') {
    for (let i = 0; i < count; i++) out.push((frame[3 + (i >> 3)]! >> (i & 7)) & 1);
  } else {
    for (let i = 0; i < count; i++) out.push(frame.readUInt16BE(3 + 2 * i));
  }
  return out;
}

function bad(reason: BadFrameReason, message: string): never {
  throw new AgentError('MODBUS_BAD_RESPONSE', message, { reason });
}
