/**
 * CRC-16/MODBUS, the one copy for Modbus RTU: the passive listener uses it directly and
 * ../rtuFrames.ts builds on it. It imports nothing, so the listener stays standalone protocol code.
 */

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of bytes [from, end). */
export function crc16(buf: Uint8Array, from = 0, end = buf.length): number {
  let crc = 0xffff;
  for (let i = from; i < end; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ buf[i]!) & 0xff]!;
  return crc;
}

/** True when bytes [from, from+length) end in the CRC (low byte first) of the bytes before it. */
export function crcValidAt(buf: Uint8Array, from: number, length: number): boolean {
  if (length < 4 || from + length > buf.length) return false;
  const end = from + length - 2;
  const crc = crc16(buf, from, end);
  return buf[end] === (crc & 0xff) && buf[end + 1] === crc >>> 8;
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
