import type { ObservedFrame } from './passiveFramer.js';
import {
  answerByteCount,
  interpretFrame,
  type ListenTable,
  type ReadFunction,
  type RtuMessage,
  TABLE_OF_FUNCTION,
} from './rtuMessages.js';

/**
 * Pairs each answer seen on the line with the request it answers, so that a value is only ever
 * taken from an answer whose meaning is known. An answer counts only when:
 * - it follows a request for the same unit and function, with nothing in between, within
 *   `answerTimeoutMs` of it;
 * - its byte count is the one the request's quantity calls for;
 * - that request was not contended: when a second request for the same unit, function and answer
 *   size (but other registers) arrives while the first is still unanswered (two masters, or one
 *   that retried elsewhere), the next answer could belong to either, so it is discarded.
 * - no more than MAX_GLITCH_BYTES of garbage passed between them: more may have been a request
 *   the framer could not read (a master's request hit by noise), whose answer this would be.
 * Everything else is discarded and counted by reason. This is what makes collisions, noise that
 * happens to pass a CRC, and late answers safe: they cannot put a value under the wrong address.
 */

/**
 * Garbage tolerated between a request and its answer: the byte or two an RS-485 transceiver may
 * emit when a slave switches to send. Anything longer could hide a request.
 */
export const MAX_GLITCH_BYTES = 2;

export interface RequestPairerOptions {
  /** How long after its request an answer may come. Keep it below the polling master's timeout. Default 1000 ms. */
  answerTimeoutMs?: number;
}

/** A read answer paired with its request: the registers (or bits) that passed on the line. */
export interface ObservedRead {
  readonly unit: number;
  readonly table: ListenTable;
  readonly startAddress: number;
  /** Registers (holding, input) as 0..65535; absent for bit tables. */
  readonly words?: number[];
  /** Bits (coil, discrete); absent for register tables. */
  readonly bits?: boolean[];
  readonly requestAt: number;
  /** When the answer passed: what a reading taken from it is stamped with. */
  readonly answerAt: number;
}

export type DiscardReason =
  /** An answer-shaped frame with no request waiting for it. */
  | 'unrequested'
  /** Its request was too long ago. */
  | 'late'
  /** Same unit and function as the request, but a byte count the request's quantity does not give. */
  | 'byteCount'
  /** The request it follows was contended (see above). */
  | 'contended'
  /** A CRC-valid frame that is no message we know. */
  | 'unknown';

export type PairerEvent =
  | { kind: 'request'; unit: number; fn: number; address: number; quantity: number; at: number }
  | { kind: 'read'; read: ObservedRead }
  | {
      kind: 'exception';
      unit: number;
      fn: number;
      code: number;
      address: number;
      quantity: number;
      requestAt: number;
      answerAt: number;
    }
  | { kind: 'writeAnswer'; unit: number; fn: number; address: number; quantity: number; answerAt: number }
  | { kind: 'noAnswer'; unit: number; fn: number; address: number; quantity: number; requestAt: number }
  | { kind: 'discarded'; reason: DiscardReason; unit: number; fn: number; at: number };

interface Pending {
  readonly unit: number;
  readonly fn: number;
  readonly address: number;
  readonly quantity: number;
  /** Answer data bytes a read expects; -1 for writes. */
  readonly answerBytes: number;
  readonly frame: Buffer;
  readonly at: number;
  readonly contended: boolean;
}

export type PairerStats = Record<DiscardReason, number> & {
  reads: number;
  exceptions: number;
  noAnswer: number;
};

export class RequestPairer {
  readonly stats: PairerStats = {
    reads: 0,
    exceptions: 0,
    noAnswer: 0,
    unrequested: 0,
    late: 0,
    byteCount: 0,
    contended: 0,
    unknown: 0,
  };
  private readonly timeoutMs: number;
  private pending: Pending | undefined;
  /** The last request that timed out, to tell a late answer from an unrequested one. */
  private expired: Pending | undefined;

  constructor(opts: RequestPairerOptions = {}) {
    this.timeoutMs = opts.answerTimeoutMs ?? 1000;
  }

  /** One frame from the framer, in line order. */
  frame(frame: ObservedFrame): PairerEvent[] {
    const out: PairerEvent[] = [];
    this.expire(frame.at, out);
    if (frame.noiseBefore > MAX_GLITCH_BYTES) this.giveUp(out);
    const unit = frame.bytes[0]!;
    const fn = frame.bytes[1]!;
    const messages = interpretFrame(frame.bytes);
    if (messages.length === 0) return this.discard(out, 'unknown', unit, fn, frame.at);

    const answer = this.pending
      ? messages.find((m) => this.answers(this.pending!, m, frame.bytes))
      : undefined;
    if (answer && this.pending) {
      const request = this.pending;
      this.pending = undefined;
      if (request.contended) return this.discard(out, 'contended', unit, fn, frame.at);
      out.push(this.answered(request, answer, frame.at));
      return out;
    }
    const request = messages.find((m) => m.kind === 'readRequest' || m.kind === 'write');
    if (request && (request.kind === 'readRequest' || request.kind === 'write')) {
      this.request(request, frame, out);
      return out;
    }
    // Answer-shaped, but not an answer to the request waiting (if any).
    const waiting = this.pending;
    if (waiting && waiting.unit === unit && (waiting.fn === fn || (fn & 0x80) !== 0)) {
      this.pending = undefined;
      return this.discard(out, 'byteCount', unit, fn, frame.at);
    }
    const late = this.expired && this.expired.unit === unit && this.expired.fn === (fn & 0x7f);
    return this.discard(out, late ? 'late' : 'unrequested', unit, fn, frame.at);
  }

  /** Time passed without frames: a request unanswered for the timeout is given up. */
  tick(now: number): PairerEvent[] {
    const out: PairerEvent[] = [];
    this.expire(now, out);
    return out;
  }

  private expire(now: number, out: PairerEvent[]): void {
    const p = this.pending;
    if (p && now - p.at > this.timeoutMs) {
      this.expired = p;
      this.giveUp(out);
    }
  }

  /** The waiting request will get no answer we can trust. */
  private giveUp(out: PairerEvent[]): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.stats.noAnswer++;
    out.push({
      kind: 'noAnswer',
      unit: p.unit,
      fn: p.fn,
      address: p.address,
      quantity: p.quantity,
      requestAt: p.at,
    });
  }

  /** Whether message m (from frame bytes) is the answer to request p. */
  private answers(p: Pending, m: RtuMessage, bytes: Buffer): boolean {
    if (m.unit !== p.unit || m.fn !== p.fn) return false;
    switch (m.kind) {
      case 'readAnswer':
        return p.answerBytes === m.data.length;
      case 'exception':
        return true;
      case 'write':
        // FC05/06 answers echo the request; FC15/16 answers repeat its address and quantity.
        if (p.answerBytes !== -1) return false;
        if (m.fn === 5 || m.fn === 6) return bytes.equals(p.frame);
        return bytes.length === 8 && m.address === p.address && m.quantity === p.quantity;
      case 'readRequest':
        return false;
    }
  }

  private answered(p: Pending, m: RtuMessage, at: number): PairerEvent {
    if (m.kind === 'exception') {
      this.stats.exceptions++;
      const { unit, fn, address, quantity } = p;
      return { kind: 'exception', unit, fn, code: m.code, address, quantity, requestAt: p.at, answerAt: at };
    }
    if (m.kind === 'readAnswer') {
      this.stats.reads++;
      const fn = p.fn as ReadFunction;
      const base = {
        unit: p.unit,
        table: TABLE_OF_FUNCTION[fn],
        startAddress: p.address,
        requestAt: p.at,
        answerAt: at,
      };
      if (fn <= 2) {
        const bits = Array.from({ length: p.quantity }, (_, i) => ((m.data[i >> 3]! >> (i & 7)) & 1) === 1);
        return { kind: 'read', read: { ...base, bits } };
      }
      const words = Array.from({ length: p.quantity }, (_, i) => m.data.readUInt16BE(2 * i));
      return { kind: 'read', read: { ...base, words } };
    }
    return {
      kind: 'writeAnswer',
      unit: p.unit,
      fn: p.fn,
      address: p.address,
      quantity: p.quantity,
      answerAt: at,
    };
  }

  private request(
    m: Extract<RtuMessage, { kind: 'readRequest' | 'write' }>,
    frame: ObservedFrame,
    out: PairerEvent[],
  ): void {
    const answerBytes = m.kind === 'readRequest' ? answerByteCount(m.fn, m.quantity) : -1;
    const before = this.pending;
    // Another request while one is unanswered: if an answer could fit both, it cannot be placed.
    const contended =
      before !== undefined &&
      before.unit === m.unit &&
      before.fn === m.fn &&
      before.answerBytes === answerBytes &&
      (before.address !== m.address || before.quantity !== m.quantity || before.contended);
    this.giveUp(out);
    this.pending = {
      unit: m.unit,
      fn: m.fn,
      address: m.address,
      quantity: m.quantity,
      answerBytes,
      frame: frame.bytes,
      at: frame.at,
      contended,
    };
    out.push({
      kind: 'request',
      unit: m.unit,
      fn: m.fn,
      address: m.address,
      quantity: m.quantity,
      at: frame.at,
    });
  }

  private discard(
    out: PairerEvent[],
    reason: DiscardReason,
    unit: number,
    fn: number,
    at: number,
  ): PairerEvent[] {
    this.stats[reason]++;
    out.push({ kind: 'discarded', reason, unit, fn, at });
    return out;
  }
}
