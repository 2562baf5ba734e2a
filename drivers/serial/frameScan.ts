import type { FrameLength } from './lineTypes.js';

/**
 * Leading bytes an exchange may drop while looking for the start of its answer: enough for the
 * glitch byte or two of an RS-485 direction switch, few enough that a corrupted or foreign frame
 * fails as garbage at once instead of costing a timeout.
 */
export const MAX_NOISE_BYTES = 2;
/** Longest answer buffered; more is garbage (a device streaming, a wrong baud rate). */
export const MAX_FRAME_BYTES = 4096;

export type ScanResult =
  /** Not complete yet; `rx` is what to keep (noise bytes already dropped). */
  | { kind: 'wait'; rx: Buffer; noise: number }
  /** A complete answer; `extra` bytes followed it. */
  | { kind: 'frame'; frame: Buffer; extra: number; noise: number }
  /** No answer can be made of these bytes. */
  | { kind: 'garbage'; noise: number; bytes: number };

/**
 * What the bytes received so far in an exchange amount to, given the protocol's frame-length rule
 * (see FrameLength). A rule that throws counts as -1. Pure: the line does the bookkeeping.
 */
export function scanAnswer(rx: Buffer, frameLength: FrameLength, noiseSoFar: number): ScanResult {
  let buf = rx;
  let noise = noiseSoFar;
  for (;;) {
    let n: number;
    try {
      n = frameLength(buf);
    } catch {
      n = -1;
    }
    if (n > 0 && buf.length >= n) {
      return { kind: 'frame', frame: Buffer.from(buf.subarray(0, n)), extra: buf.length - n, noise };
    }
    if (n >= 0 && buf.length <= MAX_FRAME_BYTES) return { kind: 'wait', rx: buf, noise };
    if (n < 0 && buf.length > 0 && noise < MAX_NOISE_BYTES) {
      noise++;
      buf = buf.subarray(1);
      if (buf.length === 0) return { kind: 'wait', rx: buf, noise };
      continue;
    }
    return { kind: 'garbage', noise, bytes: buf.length };
  }
}
