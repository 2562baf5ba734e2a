import { decodeAddress, encodeAddress } from './bcd.js';

/**
 * One DL/T 645 frame: `68 A0..A5 68 C L DATA CS 16`, with the data bytes +0x33 on the wire and CS the
 * sum (mod 256) of every byte from the first 68 through the last data byte. Requests go out behind a
 * preamble of FE bytes that wakes the meter's receiver; the stream framer skips it on receipt.
 */

export const FRAME_START = 0x68;
export const FRAME_END = 0x16;
export const PREAMBLE_BYTE = 0xfe;
export const DATA_OFFSET = 0x33;
/** The standard's limit for L (2007: 200 bytes; 1997 allowed less, so 200 covers both). */
export const MAX_DATA_LENGTH = 200;
/** 68 + 6 address + 68 + C + L before the data, CS + 16 after it. */
export const FRAME_OVERHEAD = 12;

export interface Dlt645Frame {
  /** The 12 address digits as on the nameplate (not reversed). */
  address: string;
  control: number;
  /** Data with the 0x33 offset already removed. */
  data: Uint8Array;
}

/** Control byte, bit by bit. */
export interface ControlBits {
  /** Bit 7: the meter answers (1) or the master asks (0). */
  fromMeter: boolean;
  /** Bit 6: an error answer. */
  abnormal: boolean;
  /** Bit 5: more frames follow (read them with a follow-up request). */
  moreFollows: boolean;
  /** Bits 4–0. */
  func: number;
}

export function controlBits(control: number): ControlBits {
  return {
    fromMeter: (control & 0x80) !== 0,
    abnormal: (control & 0x40) !== 0,
    moreFollows: (control & 0x20) !== 0,
    func: control & 0x1f,
  };
}

export function checksum(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return sum;
}

export interface EncodeOptions {
  /** FE bytes before the frame (0–4 is usual; default 4, the common choice of masters). */
  preamble?: number;
}

/** The bytes to send: preamble, frame with offset data and checksum. Throws on a bad address or length. */
export function encodeFrame(frame: Dlt645Frame, opts: EncodeOptions = {}): Uint8Array {
  const preamble = opts.preamble ?? 4;
  if (frame.data.length > MAX_DATA_LENGTH) {
    throw new RangeError(`DL/T 645 data of ${frame.data.length} bytes exceeds ${MAX_DATA_LENGTH}`);
  }
  const out = new Uint8Array(preamble + FRAME_OVERHEAD + frame.data.length);
  out.fill(PREAMBLE_BYTE, 0, preamble);
  let at = preamble;
  const start = at;
  out[at++] = FRAME_START;
  out.set(encodeAddress(frame.address), at);
  at += 6;
  out[at++] = FRAME_START;
  out[at++] = frame.control & 0xff;
  out[at++] = frame.data.length;
  for (const b of frame.data) out[at++] = (b + DATA_OFFSET) & 0xff;
  out[at] = checksum(out, start, at);
  out[at + 1] = FRAME_END;
  return out;
}

export type FrameParse =
  | { kind: 'frame'; frame: Dlt645Frame; length: number }
  /** Not enough bytes yet to tell. */
  | { kind: 'incomplete' }
  /** No frame starts at this offset. */
  | { kind: 'invalid'; reason: InvalidFrameReason };

export type InvalidFrameReason = 'no-start' | 'no-second-start' | 'too-long' | 'bad-checksum' | 'no-end';

/** Tries to read one frame starting exactly at `offset` (a 68). Never throws. */
export function parseFrameAt(buf: Uint8Array, offset: number): FrameParse {
  const avail = buf.length - offset;
  if (avail < 1) return { kind: 'incomplete' };
  if (buf[offset] !== FRAME_START) return { kind: 'invalid', reason: 'no-start' };
  if (avail < 8) return { kind: 'incomplete' };
  if (buf[offset + 7] !== FRAME_START) return { kind: 'invalid', reason: 'no-second-start' };
  if (avail < 10) return { kind: 'incomplete' };
  const len = buf[offset + 9]!;
  if (len > MAX_DATA_LENGTH) return { kind: 'invalid', reason: 'too-long' };
  const total = FRAME_OVERHEAD + len;
  if (avail < total) return { kind: 'incomplete' };
  const csAt = offset + 10 + len;
  if (checksum(buf, offset, csAt) !== buf[csAt]) return { kind: 'invalid', reason: 'bad-checksum' };
  if (buf[csAt + 1] !== FRAME_END) return { kind: 'invalid', reason: 'no-end' };
  const data = new Uint8Array(len);
  for (let i = 0; i < len; i++) data[i] = (buf[offset + 10 + i]! - DATA_OFFSET) & 0xff;
  return {
    kind: 'frame',
    frame: { address: decodeAddress(buf.subarray(offset + 1, offset + 7)), control: buf[offset + 8]!, data },
    length: total,
  };
}

/** A whole buffer that must be one frame (after any FE preamble); undefined for anything else. */
export function decodeFrame(bytes: Uint8Array): Dlt645Frame | undefined {
  let at = 0;
  while (at < bytes.length && bytes[at] === PREAMBLE_BYTE) at++;
  const parsed = parseFrameAt(bytes, at);
  if (parsed.kind !== 'frame' || at + parsed.length !== bytes.length) return undefined;
  return parsed.frame;
}
