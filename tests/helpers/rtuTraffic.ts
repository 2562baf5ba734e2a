import { withCrc } from '../../drivers/modbus/listen/rtuCrc.js';

/** Hand-made Modbus RTU frames for the listener's tests (what a master and its slaves put on a line). */

export function readRequest(unit: number, fn: number, address: number, quantity: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = unit;
  b[1] = fn;
  b.writeUInt16BE(address, 2);
  b.writeUInt16BE(quantity, 4);
  return withCrc(b);
}

/** FC03/04 answer carrying these registers. */
export function registerAnswer(unit: number, fn: number, words: readonly number[]): Buffer {
  const b = Buffer.alloc(3 + 2 * words.length);
  b[0] = unit;
  b[1] = fn;
  b[2] = 2 * words.length;
  words.forEach((w, i) => {
    b.writeUInt16BE(w, 3 + 2 * i);
  });
  return withCrc(b);
}

/** FC01/02 answer carrying these bits (LSB of the first byte first). */
export function bitAnswer(unit: number, fn: number, bits: readonly boolean[]): Buffer {
  const bytes = Math.ceil(bits.length / 8);
  const b = Buffer.alloc(3 + bytes);
  b[0] = unit;
  b[1] = fn;
  b[2] = bytes;
  bits.forEach((bit, i) => {
    if (bit) b[3 + (i >> 3)]! |= 1 << (i & 7);
  });
  return withCrc(b);
}

export function exceptionAnswer(unit: number, fn: number, code: number): Buffer {
  return withCrc(Buffer.from([unit, fn | 0x80, code]));
}

/** FC06 request (and its echo answer). */
export function writeSingleRegister(unit: number, address: number, value: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = unit;
  b[1] = 6;
  b.writeUInt16BE(address, 2);
  b.writeUInt16BE(value, 4);
  return withCrc(b);
}

/** FC16 request. */
export function writeRegisters(unit: number, address: number, words: readonly number[]): Buffer {
  const b = Buffer.alloc(7 + 2 * words.length);
  b[0] = unit;
  b[1] = 16;
  b.writeUInt16BE(address, 2);
  b.writeUInt16BE(words.length, 4);
  b[6] = 2 * words.length;
  words.forEach((w, i) => {
    b.writeUInt16BE(w, 7 + 2 * i);
  });
  return withCrc(b);
}

/** FC16 answer: unit, function, address, quantity. */
export function writeRegistersAnswer(unit: number, address: number, quantity: number): Buffer {
  const b = Buffer.alloc(6);
  b[0] = unit;
  b[1] = 16;
  b.writeUInt16BE(address, 2);
  b.writeUInt16BE(quantity, 4);
  return withCrc(b);
}
