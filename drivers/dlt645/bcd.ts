/**
 * BCD as DL/T 645 meters send it: two decimal digits per byte, lowest byte first, a fixed number of
 * decimals given by the data identifier, and for signed quantities the top bit of the most
 * significant byte as the sign (the remaining 7 bits of that byte are BCD, so its top digit is 0–7).
 * These functions work on plain bytes: the 0x33 line offset is removed before they see them.
 */

export interface BcdLayout {
  /** Bytes on the wire (two digits each). */
  bytes: number;
  /** Digits after the decimal point. */
  decimals: number;
  /** Top bit of the most significant byte is the sign. */
  signed: boolean;
}

export type BcdResult = { ok: true; value: number } | { ok: false; reason: string };

/** Decodes one value; a nibble above 9 (meters send FF… for "not available") is a reason, never a number. */
export function decodeBcd(bytes: Uint8Array, layout: BcdLayout): BcdResult {
  if (bytes.length !== layout.bytes) {
    return { ok: false, reason: `expected ${layout.bytes} bytes, got ${bytes.length}` };
  }
  let digits = '';
  let negative = false;
  for (let i = bytes.length - 1; i >= 0; i--) {
    let b = bytes[i]!;
    if (layout.signed && i === bytes.length - 1) {
      negative = (b & 0x80) !== 0;
      b &= 0x7f;
    }
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) {
      return { ok: false, reason: `byte ${hex(bytes[i]!)} is not BCD` };
    }
    digits += `${hi}${lo}`;
  }
  // Through a decimal string: 12345 with 2 decimals is the double nearest 123.45, never 123.45000000000002.
  const magnitude = Number(`${digits}e-${layout.decimals}`);
  return { ok: true, value: negative && magnitude !== 0 ? -magnitude : magnitude };
}

/** Largest magnitude a layout can carry, in units of its last decimal (a signed top byte holds 79 at most). */
function maxScaled(layout: BcdLayout): number {
  const digits = layout.bytes * 2;
  return layout.signed ? 8 * 10 ** (digits - 1) - 1 : 10 ** digits - 1;
}

/** Largest magnitude a layout can carry. */
export function bcdMaximum(layout: BcdLayout): number {
  return maxScaled(layout) / 10 ** layout.decimals;
}

/**
 * Encodes a value (rounded to the layout's decimals). Throws a RangeError when it does not fit or
 * is negative for an unsigned layout: a meter (or our simulator) cannot send it.
 */
export function encodeBcd(value: number, layout: BcdLayout): Uint8Array {
  if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value} as BCD`);
  const scaled = Math.round(Math.abs(value) * 10 ** layout.decimals);
  if (value < 0 && scaled !== 0 && !layout.signed) {
    throw new RangeError(`${value} is negative for an unsigned BCD value`);
  }
  // Compared after rounding: 79.99995 rounds to 80.0000, which would spill into the sign bit.
  if (scaled > maxScaled(layout)) {
    throw new RangeError(`${value} does not fit ${layout.bytes} BCD bytes with ${layout.decimals} decimals`);
  }
  const text = String(scaled).padStart(layout.bytes * 2, '0');
  const out = new Uint8Array(layout.bytes);
  for (let i = 0; i < layout.bytes; i++) {
    // text is most significant first; byte 0 on the wire is the least significant pair.
    const at = text.length - 2 * (i + 1);
    out[i] = (Number(text[at]) << 4) | Number(text[at + 1]);
  }
  if (layout.signed && value < 0 && scaled !== 0) out[layout.bytes - 1]! |= 0x80;
  return out;
}

/** A meter address as written on its nameplate: 12 digits (hex digits allowed for wildcards such as AA). */
export const ADDRESS_PATTERN = /^[0-9A-Fa-f]{12}$/;

/** The broadcast address of the read-address request. */
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAA';

/** "123456789012" → bytes 12 90 78 56 34 12 (the last two digits go first). */
export function encodeAddress(address: string): Uint8Array {
  if (!ADDRESS_PATTERN.test(address)) {
    throw new RangeError(`meter address "${address}" is not 12 digits`);
  }
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    out[i] = Number.parseInt(address.slice(10 - 2 * i, 12 - 2 * i), 16);
  }
  return out;
}

/** The inverse of encodeAddress: bytes lowest first → the 12 nameplate digits (upper-case hex for non-BCD). */
export function decodeAddress(bytes: Uint8Array): string {
  let text = '';
  for (let i = bytes.length - 1; i >= 0; i--) text += hex(bytes[i]!);
  return text;
}

export function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

export function showBytes(bytes: Uint8Array): string {
  return Array.from(bytes, hex).join(' ');
}
