/**
 * The CRC of HJ 212 (2017 and 2025 texts, appendix routine). It is NOT the Modbus CRC, although it
 * uses the same polynomial: the standard's routine XORs each byte into the register *after* shifting
 * it right by 8, so only the register's high byte carries over from one byte to the next. A
 * consequence worth knowing: for any non-empty input only 256 results are possible, and the low byte is one of
 * 00 01 40 41 80 81 C0 C1 (see `isPlausibleCrc`). Weak, but it is what every platform checks.
 */
export function hj212Crc(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const byte of bytes) {
    reg = (reg >> 8) ^ byte;
    for (let i = 0; i < 8; i++) {
      const lsb = reg & 1;
      reg >>= 1;
      if (lsb) reg ^= 0xa001;
    }
  }
  return reg;
}

/** Four uppercase hex digits, as emitted on the wire (receivers accept lowercase). */
export function formatCrc(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

const PLAUSIBLE_LOW_BYTES = new Set([0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xc0, 0xc1]);

/** False for a value the standard's routine can never produce: a cheap sanity check on a received CRC. */
export function isPlausibleCrc(crc: number): boolean {
  return crc >= 0 && crc <= 0xffff && PLAUSIBLE_LOW_BYTES.has(crc & 0xff);
}

/**
 * The same routine run over UTF-16 characters instead of UTF-8 bytes, as Java and C# ports do
 * (`char[] msg = text.toCharArray()`; `crc = (crc >> 8) ^ msg[i]`). Equal to `hj212Crc` for ASCII;
 * on receipt it explains a CRC that fails only because the frame holds Chinese text.
 */
export function hj212CrcOfChars(text: string): number {
  let reg = 0xffff;
  for (let i = 0; i < text.length; i++) {
    reg = (reg >> 8) ^ text.charCodeAt(i);
    for (let j = 0; j < 8; j++) {
      const lsb = reg & 1;
      reg >>= 1;
      if (lsb) reg ^= 0xa001;
    }
  }
  return reg;
}

/**
 * CRC-16/MODBUS (the byte XORed into the whole register), which some HJ 212 ports compute by
 * mistake, written as the register's value. Accepted on receipt only, and reported.
 */
export function modbusCrc16(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const byte of bytes) {
    reg ^= byte;
    for (let i = 0; i < 8; i++) reg = reg & 1 ? (reg >> 1) ^ 0xa001 : reg >> 1;
  }
  return reg;
}
