import type { CodecOptions } from './codecOptions.js';
import type { DataSegment } from './dataSegment.js';
import { HEAD_LENGTH, MAX_SEGMENT_LENGTH, TAIL_LENGTH } from './frame.js';
import { decodeFrame } from './receive.js';
import { type Rejection, reject } from './rejection.js';
import type { Tolerance } from './tolerance.js';

export type StreamEvent =
  | {
      kind: 'frame';
      segment: DataSegment;
      encrypted: boolean;
      /** The SM4 layout it arrived in (`layoutLabel`), when encrypted. */
      variant?: string;
      /** What it did differently from the strict form (tolerance.ts). */
      tolerated: Tolerance[];
      raw: Buffer;
    }
  | { kind: 'rejected'; rejection: Rejection; raw: Buffer };

/** Where a frame may end before or after its declared length: after CCCC + CRLF, or at the next `##dddd`. */
interface Boundary {
  at: number;
  kind: 'crlf' | 'next';
}

const HASH = 0x23;
const CR = 0x0d;
const LF = 0x0a;
const MAX_FRAME = HEAD_LENGTH + MAX_SEGMENT_LENGTH + TAIL_LENGTH;
/** Garbage is reported in runs; a run this long is reported without waiting for its end. */
const GARBAGE_REPORT_BYTES = 4096;
/**
 * Most bytes a decoder holds between pushes, whatever a peer sends: less than one longest frame
 * (a frame still open at MAX_FRAME bytes is refused) plus less than one garbage report. A platform
 * streaming without end costs no more memory than this.
 */
export const MAX_BUFFERED_BYTES = MAX_FRAME + GARBAGE_REPORT_BYTES;

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && (isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

/**
 * Cuts a TCP byte stream into HJ 212 frames. Bytes arrive in any chunks; a frame is found by `##` and
 * its 4-digit length, and is complete when CCCC + CRLF sit where the length says. Anything else
 * becomes a rejection event and the decoder resynchronises on the next `##`, so one bad frame never
 * costs the ones after it. The events never depend on how the bytes were chunked. Never throws.
 *
 * A frame also ends earlier or later than its length says at a CRC followed by CRLF, or at the next
 * `##dddd`: plaintext holds neither, so a wrong length never swallows the next frame, and a length
 * counted in characters (or a missing CRLF before the next frame) still finds its end; decodeFrame
 * then judges the length. Raw SM4 ciphertext may hold any byte, but 4 hex digits + CRLF, or `##` and
 * 4 digits, only by a chance of about 1 in 10 million per frame; a CRLF without a CRC before it is
 * never taken as an end, so ciphertext is delimited by its length.
 */
export class Hj212StreamDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private garbage: Buffer[] = [];
  private garbageBytes = 0;

  /** `opts` is read at each frame: a key changed in place (1014) applies to the next frame. */
  constructor(private readonly opts: CodecOptions = {}) {}

  /** Bytes held back waiting for the rest of a frame; never more than MAX_BUFFERED_BYTES after a push. */
  get buffered(): number {
    return this.buf.length + this.garbageBytes;
  }

  push(chunk: Uint8Array): StreamEvent[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const events: StreamEvent[] = [];
    while (this.step(events)) {
      // each step consumed something or reported it
    }
    if (this.garbageBytes >= GARBAGE_REPORT_BYTES) this.flushGarbage(events);
    return events;
  }

  /**
   * The connection ended: whatever is held back is reported. A last frame that only lacks its CRLF
   * is a frame; anything else begun is `truncated`.
   */
  end(): StreamEvent[] {
    const events: StreamEvent[] = [];
    const buf = this.buf;
    this.buf = Buffer.alloc(0);
    if (buf.length >= 2 && buf[0] === HASH && buf[1] === HASH) {
      this.flushGarbage(events);
      const last = buf.length >= HEAD_LENGTH + 4 ? decodeFrame(buf, this.opts) : undefined;
      if (last?.ok) {
        events.push(frameEvent(last, buf));
      } else if (last !== undefined && last.reason !== 'bad-length' && last.reason !== 'bad-frame') {
        events.push(rejected(last, buf));
      } else {
        events.push(rejected(reject('truncated', `connection ended ${buf.length} bytes into a frame`), buf));
      }
      return events;
    }
    this.addGarbage(buf);
    this.flushGarbage(events);
    return events;
  }

  /** One step of progress; false when more bytes are needed. */
  private step(events: StreamEvent[]): boolean {
    const buf = this.buf;
    if (buf.length === 0) return false;
    const start = this.findStart(buf, 0);
    if (start === -1) {
      // Keep a trailing '#': it may be the first half of the next `##`.
      const keep = buf[buf.length - 1] === HASH ? 1 : 0;
      this.addGarbage(buf.subarray(0, buf.length - keep));
      this.buf = buf.subarray(buf.length - keep);
      return false;
    }
    if (start > 0) {
      this.addGarbage(buf.subarray(0, start));
      this.buf = buf.subarray(start);
      return true;
    }
    if (buf.length < HEAD_LENGTH) return false;
    this.flushGarbage(events);

    const declared = Number(buf.subarray(2, HEAD_LENGTH).toString('latin1'));
    const end = HEAD_LENGTH + declared + TAIL_LENGTH;
    const boundary = this.boundary(buf);
    // An end before the declared one: a wrong length, or a frame cut short by the next.
    if (boundary !== undefined && boundary.at < end) return this.cutAt(buf, boundary, events);
    if (buf.length >= end) {
      // The declared end (raw ciphertext included).
      if (this.tailAt(buf, end - TAIL_LENGTH)) return this.emitFrame(buf, end, events);
      // A later end: a length in characters, or of the plaintext of an encrypted segment.
      if (boundary !== undefined) return this.cutAt(buf, boundary, events);
    }
    if (buf.length >= MAX_FRAME) {
      return this.emitRejection(
        buf,
        buf.length,
        reject('bad-frame', `no frame end within ${MAX_FRAME} bytes`),
        events,
      );
    }
    return false;
  }

  /** The first CRC + CRLF, or the first complete `##dddd` after this frame's own. */
  private boundary(buf: Buffer): Boundary | undefined {
    let crlf = -1;
    for (
      let i = buf.indexOf('\r\n', HEAD_LENGTH, 'latin1');
      i !== -1;
      i = buf.indexOf('\r\n', i + 1, 'latin1')
    ) {
      if (i - 4 >= HEAD_LENGTH && [1, 2, 3, 4].every((k) => isHex(buf[i - k]))) {
        crlf = i + 2;
        break;
      }
    }
    const next = this.findStart(buf, 2, true);
    if (crlf === -1 && next === -1) return undefined;
    if (next !== -1 && (crlf === -1 || next < crlf)) return { at: next, kind: 'next' };
    return { at: crlf, kind: 'crlf' };
  }

  /** A frame ends at `boundary`; decodeFrame judges its length. */
  private cutAt(buf: Buffer, boundary: Boundary, events: StreamEvent[]): boolean {
    if (boundary.kind === 'crlf') return this.emitFrame(buf, boundary.at, events);
    // The next frame starts: this one is complete only if it ends in a CRC (and lacks its CRLF).
    const decoded =
      boundary.at - 4 >= HEAD_LENGTH && [1, 2, 3, 4].every((k) => isHex(buf[boundary.at - k]))
        ? decodeFrame(buf.subarray(0, boundary.at), this.opts)
        : undefined;
    if (decoded?.ok) return this.emitDecoded(buf, boundary.at, decoded, events);
    const why =
      decoded === undefined || decoded.reason === 'bad-length' || decoded.reason === 'bad-frame'
        ? reject('bad-frame', 'next frame starts before this one ended')
        : decoded;
    return this.emitRejection(buf, boundary.at, why, events);
  }

  private emitFrame(buf: Buffer, end: number, events: StreamEvent[]): boolean {
    return this.emitDecoded(buf, end, decodeFrame(buf.subarray(0, end), this.opts), events);
  }

  private emitDecoded(
    buf: Buffer,
    end: number,
    decoded: ReturnType<typeof decodeFrame>,
    events: StreamEvent[],
  ): boolean {
    const raw = buf.subarray(0, end);
    this.buf = buf.subarray(end);
    events.push(decoded.ok ? frameEvent(decoded, raw) : rejected(decoded, raw));
    return true;
  }

  private emitRejection(buf: Buffer, cut: number, rejection: Rejection, events: StreamEvent[]): boolean {
    events.push(rejected(rejection, buf.subarray(0, cut)));
    this.buf = buf.subarray(cut);
    return true;
  }

  /**
   * Index of the next `##` followed by 4 digits, or -1. With `complete` false, a `##` whose digits have
   * not all arrived counts (to wait for them); with true, only a full `##dddd` does.
   */
  private findStart(buf: Buffer, from: number, complete = false): number {
    for (let i = buf.indexOf('##', from, 'latin1'); i !== -1; i = buf.indexOf('##', i + 1, 'latin1')) {
      if (complete && i + HEAD_LENGTH > buf.length) return -1;
      let ok = true;
      for (let j = i + 2; j < Math.min(i + HEAD_LENGTH, buf.length); j++) if (!isDigit(buf[j])) ok = false;
      if (ok) return i;
    }
    return -1;
  }

  private tailAt(buf: Buffer, at: number): boolean {
    return [0, 1, 2, 3].every((i) => isHex(buf[at + i])) && buf[at + 4] === CR && buf[at + 5] === LF;
  }

  private addGarbage(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.garbage.push(Buffer.from(bytes));
    this.garbageBytes += bytes.length;
  }

  private flushGarbage(events: StreamEvent[]): void {
    if (this.garbageBytes === 0) return;
    const raw = Buffer.concat(this.garbage);
    this.garbage = [];
    this.garbageBytes = 0;
    events.push(rejected(reject('garbage', `${raw.length} bytes outside any frame`), raw));
  }
}

function rejected(rejection: Rejection, raw: Buffer): StreamEvent {
  return { kind: 'rejected', rejection, raw: Buffer.from(raw) };
}

function frameEvent(
  decoded: Extract<ReturnType<typeof decodeFrame>, { ok: true }>,
  raw: Buffer,
): StreamEvent {
  const ev: StreamEvent = {
    kind: 'frame',
    segment: decoded.segment,
    encrypted: decoded.encrypted,
    tolerated: decoded.tolerated,
    raw: Buffer.from(raw),
  };
  if (decoded.variant !== undefined) ev.variant = decoded.variant;
  return ev;
}
