import { formatCrc } from './crc.js';
import { type Result, reject } from './rejection.js';

/**
 * The frame around a data segment: `##` · LLLL · data segment · CCCC · CRLF. LLLL is the data
 * segment's length in bytes (UTF-8: Chinese text counts 3 per character), zero-padded to 4 digits.
 */
export const FRAME_HEAD = Buffer.from('##', 'latin1');
export const CRLF = Buffer.from('\r\n', 'latin1');
/** `##` + LLLL. */
export const HEAD_LENGTH = 6;
/** CCCC + CRLF. */
export const TAIL_LENGTH = 6;
/** The length field has 4 digits. The standard's own limit (1024) is enforced by splitting, not here. */
export const MAX_SEGMENT_LENGTH = 9999;

/** Wraps wire bytes (plain, or with an encrypted CP) with a CRC computed beforehand over the plaintext. */
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
  /** The CRC field, uppercased. */
  crc: number;
}

/**
 * Takes one complete frame apart. The CRLF may be missing (some senders over UDP or serial omit it),
 * nothing else is forgiven: the length must match the bytes, as it is what finds the next frame.
 */
export function unwrapFrame(frame: Uint8Array): Result<UnwrappedFrame> {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf.length < HEAD_LENGTH + 4 || buf[0] !== 0x23 || buf[1] !== 0x23) {
    return reject('bad-frame', 'a frame starts with ## and is at least 10 bytes');
  }
  const lengthText = buf.subarray(2, HEAD_LENGTH).toString('latin1');
  if (!/^\d{4}$/.test(lengthText))
    return reject('bad-length', `length field '${printable(lengthText)}' is not 4 digits`);
  const declared = Number(lengthText);
  const end =
    buf.length >= 2 && buf[buf.length - 2] === 0x0d && buf[buf.length - 1] === 0x0a
      ? buf.length - 2
      : buf.length;
  if (end - 4 < HEAD_LENGTH) return reject('bad-frame', 'no room for the CRC');
  const segment = buf.subarray(HEAD_LENGTH, end - 4);
  const crcText = buf.subarray(end - 4, end).toString('latin1');
  if (segment.length !== declared) {
    return reject('bad-length', lengthMismatch(declared, segment));
  }
  if (!/^[0-9A-Fa-f]{4}$/.test(crcText))
    return reject('bad-frame', `CRC field '${printable(crcText)}' is not 4 hex digits`);
  return { ok: true, value: { segment, crc: Number.parseInt(crcText, 16) } };
}

/** Says how far off the length is, and names the common bug of counting UTF-16 characters. */
export function lengthMismatch(declared: number, segment: Buffer): string {
  const chars = segment.toString('utf8').length;
  const hint =
    chars === declared && chars !== segment.length ? ' (the sender counted characters, not UTF-8 bytes)' : '';
  return `length field says ${declared} bytes, data segment has ${segment.length}${hint}`;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
