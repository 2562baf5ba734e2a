import { type CodecOptions, decodeFrame } from './codec.js';
import type { DataSegment } from './dataSegment.js';
import { HEAD_LENGTH, lengthMismatch, MAX_SEGMENT_LENGTH, TAIL_LENGTH } from './frame.js';
import { type Rejection, reject } from './rejection.js';

export type StreamEvent =
  | { kind: 'frame'; segment: DataSegment; encrypted: boolean; raw: Buffer }
  | { kind: 'rejected'; rejection: Rejection; raw: Buffer };

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
 * its 4-digit length, and is complete when CCCC + CRLF sit exactly where the length says. Anything
 * else becomes a rejection event and the decoder resynchronises on the next `##`, so one bad frame
 * never costs the ones after it. Never throws.
 *
 * With raw SM4 ciphertext (`sm4.ciphertext === 'raw'`) the bytes of a frame may contain CRLF and `##`,
 * so the length is the only delimiter. Otherwise a frame whose CRLF comes early, or whose CRC/CRLF is
 * not at the declared end, is cut at its actual CRLF and reported as `bad-length` with both lengths.
 */
export class Hj212StreamDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private garbage: Buffer[] = [];
  private garbageBytes = 0;
  private readonly lengthOnly: boolean;

  constructor(private readonly opts: CodecOptions = {}) {
    this.lengthOnly = opts.sm4?.ciphertext === 'raw';
  }

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

  /** The connection ended: whatever is held back is reported (a partial frame as `truncated`). */
  end(): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (this.buf.length >= 2 && this.buf[0] === HASH && this.buf[1] === HASH) {
      this.flushGarbage(events);
      events.push(
        rejected(reject('truncated', `connection ended ${this.buf.length} bytes into a frame`), this.buf),
      );
    } else if (this.buf.length > 0) {
      this.addGarbage(this.buf);
      this.flushGarbage(events);
    } else {
      this.flushGarbage(events);
    }
    this.buf = Buffer.alloc(0);
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
    return this.lengthOnly
      ? this.byLength(buf, declared, end, events)
      : this.byLengthOrCrlf(buf, declared, end, events);
  }

  /** Raw ciphertext may hold any byte: the length is the only delimiter to trust. */
  private byLength(buf: Buffer, declared: number, end: number, events: StreamEvent[]): boolean {
    if (buf.length < end) return false;
    if (this.tailAt(buf, end - TAIL_LENGTH)) return this.emitFrame(buf, end, events);
    // Drop the declared span, or up to a frame start inside it. Only the first `end` bytes are
    // looked at, so the outcome does not depend on how the bytes were chunked.
    const next = this.findStart(buf.subarray(0, end), 2, false);
    const cut = next === -1 ? end : next;
    const why = `no CRC and CRLF after the ${declared} bytes the length field gives`;
    return this.emitRejection(buf, cut, reject('bad-length', why), events);
  }

  /**
   * Plaintext never holds CRLF or `##`+digits: the first of them before the declared end ends this
   * frame early (a wrong length, or a frame cut short by the next one). Applied the same way however
   * the bytes were chunked, so the events never depend on chunking.
   */
  private byLengthOrCrlf(buf: Buffer, declared: number, end: number, events: StreamEvent[]): boolean {
    const crlf = buf.indexOf('\r\n', HEAD_LENGTH, 'latin1');
    const next = this.findStart(buf, 2, true);
    const atCrlf = crlf === -1 ? Number.POSITIVE_INFINITY : crlf + 2;
    const atNext = next === -1 ? Number.POSITIVE_INFINITY : next;
    const boundary = Math.min(atCrlf, atNext);
    if (boundary >= end && buf.length >= end && this.tailAt(buf, end - TAIL_LENGTH)) {
      return this.emitFrame(buf, end, events);
    }
    if (boundary < end || (buf.length >= end && boundary !== Number.POSITIVE_INFINITY)) {
      if (atNext < atCrlf) {
        return this.emitRejection(
          buf,
          next,
          reject('bad-frame', 'next frame starts before this one ended'),
          events,
        );
      }
      const hasCrc = crlf - 4 >= HEAD_LENGTH && [0, 1, 2, 3].every((i) => isHex(buf[crlf - 4 + i]));
      const why = hasCrc
        ? reject('bad-length', lengthMismatch(declared, buf.subarray(HEAD_LENGTH, crlf - 4)))
        : reject('bad-frame', 'frame ends without a 4-digit CRC');
      return this.emitRejection(buf, crlf + 2, why, events);
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

  private emitFrame(buf: Buffer, end: number, events: StreamEvent[]): boolean {
    const raw = buf.subarray(0, end);
    this.buf = buf.subarray(end);
    const decoded = decodeFrame(raw, this.opts);
    events.push(
      decoded.ok
        ? { kind: 'frame', segment: decoded.segment, encrypted: decoded.encrypted, raw: Buffer.from(raw) }
        : rejected(decoded, raw),
    );
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
