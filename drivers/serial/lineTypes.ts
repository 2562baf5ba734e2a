import type { Clock } from '../../agent/core/clock.js';
import type { Logger } from '../../agent/core/log.js';
import type { ByteTransport } from './byteTransport.js';

/** The SerialLine's types, apart so the line's logic reads on its own; serialLine.ts re-exports them. */

export type SerialLineErrorKind = 'timeout' | 'garbage' | 'disconnected';

export class SerialLineError extends Error {
  readonly kind: SerialLineErrorKind;
  readonly line: string;
  constructor(kind: SerialLineErrorKind, line: string, message: string) {
    super(message);
    this.name = 'SerialLineError';
    this.kind = kind;
    this.line = line;
  }
}

/**
 * How long the answer in `buf` is: > 0 the frame length (the exchange completes once that many
 * bytes are in), 0 not enough bytes yet, -1 `buf` cannot begin with the answer. On -1 the line
 * drops the first byte and asks again (a line-turnaround glitch byte ahead of an answer is
 * common on RS-485); after MAX_NOISE_BYTES such bytes in one exchange it fails with 'garbage'.
 */
export type FrameLength = (buf: Buffer) => number;

export interface SerialLineOptions {
  /** The bus id, for logs and errors. */
  id: string;
  transport: ByteTransport;
  clock: Clock;
  log: Logger;
  reconnect: { min: number; max: number };
  /** Quiet time between the end of one exchange and the next request. Default 0. */
  pauseBetweenRequestsMs?: number;
  /** Wait after opening before the first request. Default 0. */
  pauseAfterOpenMs?: number;
  /** Quiet time after a timeout or garbage before the next request. Default 50. */
  guardTimeMs?: number;
  /** Consecutive timeouts after which the connection is presumed dead and reopened (TCP). Default: never. */
  deadAfterTimeouts?: number;
  /** How often an open line checks that its device is still there. Default 1000. */
  presenceCheckMs?: number;
  /** One character's time on the wire; a request's transmission is added to its timeout. Default 0. */
  charTimeMs?: number;
}

export interface SerialLineStats {
  open: boolean;
  /** Successful opens, the first included. */
  opens: number;
  openFailures: number;
  /** Times an open line was lost (unplugged, closed, presumed dead). */
  losses: number;
  /** Requests put on the wire. */
  transactions: number;
  /** Exchanges that got a complete frame. */
  completed: number;
  timeouts: number;
  garbage: number;
  /** Guard periods served. */
  guards: number;
  /** Bytes dropped: outside any exchange, in a guard, noise, beyond a frame, incomplete at timeout. */
  discardedBytes: number;
  lastOpenError: string | null;
}
