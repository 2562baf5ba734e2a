import { formatCrc } from './crc.js';
import { type Result, reject } from './rejection.js';

/**
 * The frame around a data segment: `##` · LLLL · data segment · CCCC · CRLF. LLLL is the data
 * segment's length in bytes as sent (UTF-8: Chinese text counts 3 per character), zero-padded to 4
 * digits. On receipt a length in characters is accepted too (see receive.ts).
 */
export const FRAME_HEAD = Buffer.from('##', 'latin1');
export const CRLF = Buffer.from('\r\n', 'latin1');
/** `##` + LLLL. */
export const HEAD_LENGTH = 6;
/** CCCC + CRLF. */
export const TAIL_LENGTH = 6;
/** The length field has 4 digits. The standard's own limit (1024) is enforced by splitting, not here. */
export const MAX_SEGMENT_LENGTH = 9999;

/** Wraps wire bytes (plain, or with an encrypted CP) with a CRC computed beforehand (sm4Layout.ts says over what). */
export function wrapFrame(wireSegment: Uint8Array, crc: number): Buffer {
  if (wireSegment.length > MAX_SEGMENT_LENGTH) {
    throw new Error(`HJ 212: data segment of ${wireSegment.length} bytes does not fit the 4-digit length`);
  }
  return Buffer.concat([
    FRAME_HEAD,
    Buffer.from(String(wireSegment.length).padStart(4, '0'), 'latin1'),
    wireSegment,
    Buffer.from(formatCrc(crc), 'latin1'),
    CRLF,
  ]);
}

export interface UnwrappedFrame {
  /** The data segment as received (ciphertext still in it when encrypted). */
  segment: Buffer;
  /** The CRC field's value. */
  crc: number;
  /** The CRC field was written with lowercase hex letters. */
  crcLowercase: boolean;
  /** The length field's value: judged by the decoder, which alone knows the plaintext length. */
  declared: number;
  /** The frame ended with CRLF. */
  crlf: boolean;
}

/**
 * Takes one complete frame apart: `##`, 4 digits, the data segment, 4 hex digits, CRLF (which may
 * be missing: some senders over UDP or serial omit it). Whether the length field fits the segment
 * is for the decoder to judge (bytes, characters, or the plaintext of an encrypted segment).
 */
export function unwrapFrame(frame: Uint8Array): Result<UnwrappedFrame> {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < HEAD_LENGTH + 4 || buf[0] !== 0x23 || buf[1] !== 0x23) {
    return reject('bad-frame', 'a frame starts with ## and is at least 10 bytes');
  }
  const lengthText = buf.subarray(2, HEAD_LENGTH).toString('latin1');
  if (!/^\d{4}$/.test(lengthText))
    return reject('bad-length', `length field '${printable(lengthText)}' is not 4 digits`);
  const crlf = buf.length >= 2 && buf[buf.length - 2] === 0x0d && buf[buf.length - 1] === 0x0a;
  const end = crlf ? buf.length - 2 : buf.length;
  if (end - 4 < HEAD_LENGTH) return reject('bad-frame', 'no room for the CRC');
  const segment = buf.subarray(HEAD_LENGTH, end - 4);
  const crcText = buf.subarray(end - 4, end).toString('latin1');
  if (!/^[0-9A-Fa-f]{4}$/.test(crcText))
    return reject('bad-frame', `CRC field '${printable(crcText)}' is not 4 hex digits`);
  return {
    ok: true,
    value: {
      segment,
      crc: Number.parseInt(crcText, 16),
      crcLowercase: /[a-f]/.test(crcText),
      declared: Number(lengthText),
      crlf,
    },
  };
}

/**
 * The lengths a sender that counts characters gives a segment: Unicode code points (Python's
 * len) and UTF-16 units (Java's and C#'s String length); they differ only beyond the BMP.
 */
export function characterCounts(segment: Buffer): number[] {
  const text = segment.toString('utf8');
  return [[...text].length, text.length];
}

/** Says how far off the length is, in bytes and (when they differ) in characters. */
export function lengthMismatch(declared: number, segment: Buffer): string {
  const [chars] = characterCounts(segment);
  const alt = chars !== segment.length ? ` (${chars} characters)` : '';
  return `length field says ${declared} bytes, data segment has ${segment.length}${alt}`;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
