import { crcValidAt } from './rtuCrc.js';
import { candidateLengths } from './rtuMessages.js';

/**
 * Cuts the bytes seen on an RS-485 line into RTU frames, without ever speaking on it.
 *
 * The spec's rule is silence: a frame ends after 3.5 character times without a byte. A listener
 * cannot rely on it alone: USB adapters and ptys deliver bytes in chunks (a request and its answer
 * may arrive together, the gap between them lost), and some masters pause inside a frame. So:
 * - inside the bytes received so far, a frame is taken wherever a header's possible lengths (see
 *   candidateLengths) end in a valid CRC, at once, without waiting for the silence;
 * - a silence longer than the gap (3.5 characters, at least `minGapMs`, plus `toleranceMs` for
 *   sloppy masters and adapter latency) ends the burst: a frame still waiting for its bytes is a
 *   truncated frame and dropped, and the next byte starts afresh;
 * - a byte from which no valid frame can be cut is garbage: dropped and counted.
 * The CRC is the only judge of a frame; what it means is decided later (interpretFrame, pairer).
 */

export interface PassiveFramerOptions {
  baudRate: number;
  /** Added to the 3.5-character gap: masters and adapters that pause inside a frame. Default 20 ms. */
  toleranceMs?: number;
  /** The gap is at least this; the spec fixes 1.75 ms above 19200 baud. Default 1.75 ms. */
  minGapMs?: number;
}

export interface ObservedFrame {
  readonly bytes: Buffer;
  /** When its first byte arrived. */
  readonly startAt: number;
  /** When its last byte arrived: "when it passed". */
  readonly at: number;
  /** Garbage bytes seen since the previous frame (the pairer will not pair across much of it). */
  readonly noiseBefore: number;
}

export interface PassiveFramerStats {
  bytes: number;
  frames: number;
  /** Bytes that belong to no valid frame (noise, collisions, truncated and corrupted frames). */
  garbageBytes: number;
  /** Where a frame was due to start, its bytes were all there but no length gave a valid CRC. */
  crcErrors: number;
  /** Where a frame was due to start, the line fell silent before its bytes were all there. */
  truncated: number;
}

/** The silence that ends a frame at this baud rate and tolerance, ms (11 bits per character). */
export function frameGapMs(opts: PassiveFramerOptions): number {
  const charMs = (11 * 1000) / opts.baudRate;
  return Math.max(opts.minGapMs ?? 1.75, 3.5 * charMs) + (opts.toleranceMs ?? 20);
}

export class PassiveRtuFramer {
  readonly stats: PassiveFramerStats = { bytes: 0, frames: 0, garbageBytes: 0, crcErrors: 0, truncated: 0 };
  readonly gapMs: number;
  private buf: Buffer = Buffer.alloc(0);
  /** Arrival time of each byte in buf. */
  private times: number[] = [];
  private lastAt = Number.NEGATIVE_INFINITY;
  /** True where buf[0] is where a frame should start (after a frame or a silence). */
  private synced = true;
  private noiseSinceFrame = 0;

  constructor(opts: PassiveFramerOptions) {
    this.gapMs = frameGapMs(opts);
  }

  /** Bytes as they arrived at `at` (ms, from the injected clock); returns the frames they completed. */
  push(chunk: Uint8Array, at: number): ObservedFrame[] {
    const out: ObservedFrame[] = [];
    if (chunk.length === 0) return out;
    if (at - this.lastAt > this.gapMs) this.closeBurst(out);
    this.stats.bytes += chunk.length;
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    for (let i = 0; i < chunk.length; i++) this.times.push(at);
    this.lastAt = at;
    this.scan(false, out);
    return out;
  }

  /** The line has been quiet until `now`: ends the burst if the gap has passed. */
  flush(now: number): ObservedFrame[] {
    const out: ObservedFrame[] = [];
    if (this.buf.length > 0 && now - this.lastAt > this.gapMs) this.closeBurst(out);
    return out;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  private closeBurst(out: ObservedFrame[]): void {
    this.scan(true, out);
    this.synced = true;
  }

  /**
   * Takes every frame it can from the front of buf. `closed`: no more bytes will join these (a
   * silence followed), so a frame still waiting for bytes is truncated.
   */
  private scan(closed: boolean, out: ObservedFrame[]): void {
    let p = 0;
    const buf = this.buf;
    while (p < buf.length) {
      const lengths = candidateLengths(buf, p);
      if (lengths === undefined) {
        if (!closed) break;
        p = this.skip(p, 'truncated');
        continue;
      }
      let waiting = false;
      let taken = 0;
      for (const length of [...new Set(lengths)].sort((a, b) => a - b)) {
        if (p + length > buf.length) {
          waiting = true;
        } else if (crcValidAt(buf, p, length)) {
          taken = length;
          break;
        }
      }
      if (taken > 0) {
        out.push({
          bytes: Buffer.from(buf.subarray(p, p + taken)),
          startAt: this.times[p]!,
          at: this.times[p + taken - 1]!,
          noiseBefore: this.noiseSinceFrame,
        });
        this.noiseSinceFrame = 0;
        this.stats.frames++;
        this.synced = true;
        p += taken;
      } else if (waiting && !closed) {
        break;
      } else {
        p = this.skip(p, lengths.length === 0 ? 'noise' : waiting ? 'truncated' : 'crc');
      }
    }
    this.buf = buf.subarray(p);
    this.times = this.times.slice(p);
  }

  private skip(p: number, why: 'noise' | 'truncated' | 'crc'): number {
    if (this.synced && why === 'crc') this.stats.crcErrors++;
    if (this.synced && why === 'truncated') this.stats.truncated++;
    this.synced = false;
    this.stats.garbageBytes++;
    this.noiseSinceFrame++;
    return p + 1;
  }
}
