import {
  type Dlt645Frame,
  FRAME_START,
  type InvalidFrameReason,
  PREAMBLE_BYTE,
  parseFrameAt,
} from './frame.js';

/**
 * Cuts frames out of a serial byte stream. The line carries wake-up FEs, noise from a meter
 * powering up, half frames after a timeout and corrupted bytes: whatever is not a frame with a
 * good checksum and end byte is dropped and counted, never returned. A candidate that fails is
 * left one byte further on, because a real frame may start inside it.
 */

export interface FrameStreamCounters {
  frames: number;
  /** FE bytes skipped (wake-up preamble; normal). */
  preambleBytes: number;
  /** Other bytes that were no part of a frame. */
  garbageBytes: number;
  badChecksum: number;
  /** A frame-shaped run whose end byte was not 16, whose L was over 200 or lacked its second 68. */
  malformed: number;
  /** Bytes of an unfinished frame thrown away by reset() (a new transaction, a timeout). */
  discardedPartial: number;
}

export interface FrameStream {
  /** Adds bytes; returns the frames completed by them, in order. */
  push(chunk: Uint8Array): Dlt645Frame[];
  /** Forgets buffered bytes (before a new request: leftovers of an old answer must not mix in). */
  reset(): void;
  counters(): Readonly<FrameStreamCounters>;
}

/** Longest run kept while waiting for the rest of a frame: one full frame plus slack. */
const MAX_BUFFERED = 512;

export function createFrameStream(): FrameStream {
  let buf: Uint8Array = new Uint8Array(0);
  const c: FrameStreamCounters = {
    frames: 0,
    preambleBytes: 0,
    garbageBytes: 0,
    badChecksum: 0,
    malformed: 0,
    discardedPartial: 0,
  };

  const skip = (n: number) => {
    for (let i = 0; i < n; i++) {
      if (buf[i] === PREAMBLE_BYTE) c.preambleBytes++;
      else c.garbageBytes++;
    }
    buf = buf.subarray(n);
  };

  const countInvalid = (reason: InvalidFrameReason) => {
    if (reason === 'bad-checksum') c.badChecksum++;
    else if (reason !== 'no-start') c.malformed++;
  };

  return {
    push(chunk) {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf, 0);
      joined.set(chunk, buf.length);
      buf = joined;
      const out: Dlt645Frame[] = [];
      for (;;) {
        const start = buf.indexOf(FRAME_START);
        if (start < 0) {
          skip(buf.length);
          break;
        }
        skip(start);
        const parsed = parseFrameAt(buf, 0);
        if (parsed.kind === 'incomplete') break;
        if (parsed.kind === 'invalid') {
          countInvalid(parsed.reason);
          skip(1);
          continue;
        }
        c.frames++;
        out.push(parsed.frame);
        buf = buf.subarray(parsed.length);
      }
      if (buf.length > MAX_BUFFERED) skip(buf.length - MAX_BUFFERED);
      // Keep an own copy: the caller's chunk may be reused.
      buf = buf.slice();
      return out;
    },
    reset() {
      c.discardedPartial += buf.length;
      buf = new Uint8Array(0);
    },
    counters: () => ({ ...c }),
  };
}
