import { crcValidAt } from './rtuCrc.js';
import { answerByteCount, candidateLengths, isReadFunction, maxReadQuantity } from './rtuMessages.js';

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

type Expectation = { kind: 'request' } | { kind: 'answer'; unit: number; fn: number; length: number };

/** The hinted length first, then the others shortest first. */
function orderLengths(lengths: number[], hinted: number | undefined): number[] {
  const rest = [...new Set(lengths)].filter((l) => l !== hinted).sort((a, b) => a - b);
  return hinted === undefined ? rest : [hinted, ...rest];
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
  private expect: Expectation = { kind: 'request' };

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
      const hinted = this.hintedLength(buf, p, lengths);
      for (const length of orderLengths(lengths, hinted)) {
        if (p + length > buf.length) {
          waiting = true;
          // Wait for the length the line's rhythm expects before trusting a shorter one's CRC.
          if (length === hinted && !closed) break;
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
        this.expectAfter(buf, p, taken);
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

  /**
   * What the frame just taken says about the next one: after a read request, its answer (same unit
   * and function, a length the quantity gives); after a write-multiple request, its 8-byte answer;
   * after anything else, a request (an FC05/06 echo has a request's length). A CRC has a 1 in
   * 65536 chance to pass at a wrong length; trying the expected length first (and waiting for it)
   * keeps that from cutting an answer short when bytes arrive one by one without gaps.
   */
  private expectAfter(buf: Buffer, p: number, length: number): void {
    const fn = buf[p + 1]!;
    this.expect = { kind: 'request' };
    if ((fn === 15 || fn === 16) && length > 8) {
      // A write-multiple request: its answer repeats address and quantity, 8 bytes.
      this.expect = { kind: 'answer', unit: buf[p]!, fn, length: 8 };
      return;
    }
    if (length !== 8 || !isReadFunction(fn) || buf[p] === 0) return;
    const quantity = buf.readUInt16BE(p + 4);
    if (quantity < 1 || quantity > maxReadQuantity(fn)) return;
    this.expect = { kind: 'answer', unit: buf[p]!, fn, length: 5 + answerByteCount(fn, quantity) };
  }

  private hintedLength(buf: Buffer, p: number, lengths: number[]): number | undefined {
    const e = this.expect;
    let length: number | undefined;
    if (e.kind === 'answer') {
      if (buf[p] === e.unit && buf[p + 1] === e.fn) length = e.length;
    } else if (buf.length - p >= 2) {
      const fn = buf[p + 1]!;
      if (fn >= 1 && fn <= 6) length = 8;
      else if ((fn === 15 || fn === 16) && buf.length - p >= 7) length = 9 + buf[p + 6]!;
    }
    return length !== undefined && lengths.includes(length) ? length : undefined;
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
