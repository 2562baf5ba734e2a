import type { DataSegment } from '../../drivers/hj212/dataSegment.js';
import type { Rejection } from '../../drivers/hj212/rejection.js';
import type { Tolerance } from '../../drivers/hj212/tolerance.js';

/** What the platform keeps of each connection, open or closed, for test assertions. */
export interface StationConnection {
  /** 1, 2, … in order of connection. */
  id: number;
  remote: string;
  connectedAt: number;
  closedAt?: number;
  /** From the first frame accepted on the connection. */
  mn?: string;
  st?: string;
  pw?: string;
}

export interface ReceivedFrame {
  station: number;
  at: number;
  segment: DataSegment;
  /** The CP arrived SM4-encrypted. */
  encrypted: boolean;
  /** The SM4 layout it arrived in (`sm4-raw-crc-plaintext`…), when encrypted. */
  variant?: string;
  /** What the frame did differently from the strict form, accepted all the same (tolerance.ts). */
  tolerated: Tolerance[];
  raw: Buffer;
}

export interface ReceivedRejection {
  station: number;
  at: number;
  rejection: Rejection;
  raw: Buffer;
}

export interface SentFrame {
  station: number;
  at: number;
  /** The message as built; for a message sent in parts, each part's record holds the whole message. */
  segment: DataSegment;
  raw: Buffer;
}

/** Events for a console (the runnable platform prints them). */
export type PlatformEvent =
  | { kind: 'connected'; station: StationConnection }
  | { kind: 'closed'; station: StationConnection }
  | { kind: 'received'; frame: ReceivedFrame }
  | { kind: 'rejected'; rejection: ReceivedRejection }
  | { kind: 'sent'; frame: SentFrame }
  /** The first frame of a station in an SM4 layout, or needing a tolerance: once per station and kind. */
  | { kind: 'variant'; station: StationConnection; variant: string; detail: string };

interface Waiter<T> {
  pred: (item: T) => boolean;
  resolve: (item: T) => void;
}

/**
 * A growing list that tests can wait on: `waitFor` resolves with the first item, already recorded or
 * still to come, that satisfies the predicate.
 */
export class Recorded<T> {
  readonly items: T[] = [];
  private waiters = new Set<Waiter<T>>();

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (w.pred(item)) {
        this.waiters.delete(w);
        w.resolve(item);
      }
    }
  }

  waitFor(pred: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(`platform: no ${what} matched within ${timeoutMs} ms (${this.items.length} recorded)`),
        );
      }, timeoutMs);
      const waiter: Waiter<T> = {
        pred,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      this.waiters.add(waiter);
    });
  }
}
