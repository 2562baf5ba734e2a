import type { Socket } from 'node:net';
import { type CodecOptions, encodeMessage } from '../../../drivers/hj212/codec.js';
import { CN, QN_RTN } from '../../../drivers/hj212/codes.js';
import type { DataSegment } from '../../../drivers/hj212/dataSegment.js';
import { readAnswer } from '../../../drivers/hj212/messages.js';
import type { QnSource } from '../../../drivers/hj212/qn.js';
import type { Rejection } from '../../../drivers/hj212/rejection.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../../drivers/hj212/streamDecoder.js';
import type { Clock, TimerHandle } from '../../core/clock.js';

/**
 * One TCP connection to a platform: frames out, frames in. A message that asks for an answer
 * (Flag bit 0) is an exchange keyed by QN: it waits for its 9014/9013, is re-sent unchanged (same
 * QN, so the platform can tell a repeat) after each timeout, and fails after the retries, upon
 * which the uplink drops the connection and resumes from its cursors. Everything else the platform
 * sends (commands, broken frames) goes to the uplink's handlers.
 */

export interface LinkHandlers {
  /** Every frame accepted, before it is handled: its SM4 layout and tolerances (receivedVariants.ts). */
  onReceived?(ev: Extract<StreamEvent, { kind: 'frame' }>): void;
  /** A platform frame that is not an answer to one of our exchanges. */
  onFrame(seg: DataSegment): void;
  /** A frame that could not be accepted (bad CRC, missing field…): answered with 9011 when possible. */
  onRejection(rejection: Rejection): void;
  /** The connection is gone (closed by either side or failed); called once. */
  onClose(reason: string): void;
}

export interface ExchangeTiming {
  timeoutMs: number;
  retries: number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class LinkClosedError extends Error {
  constructor(reason: string) {
    super(`HJ 212 connection closed: ${reason}`);
    this.name = 'LinkClosedError';
  }
}

export class Hj212Link {
  private readonly decoder: Hj212StreamDecoder;
  private readonly waiting = new Map<string, Waiter>();
  private readonly timers = new Set<TimerHandle>();
  private closed: string | null = null;

  constructor(
    private readonly socket: Socket,
    /** Shared and mutable: a key exchange (1014) swaps the SM4 key for both directions, from the next frame. */
    private readonly codec: CodecOptions,
    private readonly qn: QnSource,
    private readonly clock: Clock,
    private readonly handlers: LinkHandlers,
  ) {
    this.decoder = new Hj212StreamDecoder(codec);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Without a listener an 'error' would crash the process; 'close' follows it and ends the link.
    socket.on('error', (err) => this.end(err.message));
    socket.on('close', () => this.end('closed'));
  }

  get open(): boolean {
    return this.closed === null;
  }

  /** Fire and forget (answers 9011/9012/9013, command answers): a lost one is the platform's to repeat. */
  write(seg: DataSegment): void {
    if (this.closed !== null) return;
    for (const frame of this.encode(seg).frames) this.socket.write(frame);
  }

  /**
   * Sends a message and settles once it is delivered: with `answer`, when every part has its
   * 9014/9013 (re-sent after each timeout, rejected after the retries); without, once written.
   */
  async send(seg: DataSegment, answer: ExchangeTiming | null): Promise<void> {
    if (this.closed !== null) throw new LinkClosedError(this.closed);
    const { frames, qns } = this.encode(seg);
    if (answer === null) {
      await Promise.all(frames.map((f) => this.writeAsync(f)));
      return;
    }
    await Promise.all(frames.map((f, i) => this.exchange(f, qns[i]!, seg.cn, answer)));
  }

  /** Closes the connection; pending exchanges fail. */
  close(reason = 'closed by the station'): void {
    this.socket.destroy();
    this.end(reason);
  }

  private encode(seg: DataSegment): { frames: Buffer[]; qns: string[] } {
    const qns = [seg.qn];
    // splitSegment asks for the QNs of parts 2..n in part order.
    const nextQn = () => {
      const q = this.qn.next();
      qns.push(q);
      return q;
    };
    return { frames: encodeMessage(seg, { ...this.codec, nextQn }), qns };
  }

  private exchange(frame: Buffer, qn: string, cn: string, timing: ExchangeTiming): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let attempts = 0;
      let timer: TimerHandle | null = null;
      const done = () => {
        if (timer !== null) {
          this.clock.clearTimeout(timer);
          this.timers.delete(timer);
        }
        this.waiting.delete(qn);
      };
      const attempt = () => {
        if (this.closed !== null) return;
        attempts++;
        this.socket.write(frame);
        timer = this.clock.setTimeout(() => {
          if (timer !== null) this.timers.delete(timer);
          timer = null;
          if (attempts <= timing.retries) {
            attempt();
            return;
          }
          done();
          reject(new Error(`no answer to CN ${cn} QN=${qn} after ${attempts} attempt(s)`));
        }, timing.timeoutMs);
        this.timers.add(timer);
      };
      this.waiting.set(qn, {
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      attempt();
    });
  }

  private writeAsync(frame: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.socket.write(frame, (err) => (err ? reject(err) : resolve()));
    });
  }

  private onData(chunk: Buffer): void {
    for (const ev of this.decoder.push(chunk)) {
      if (ev.kind === 'rejected') {
        this.handlers.onRejection(ev.rejection);
        continue;
      }
      this.handlers.onReceived?.(ev);
      if (ev.segment.qn === '') ev.segment.qn = this.qnFor(ev.segment.cn);
      const answer = readAnswer(ev.segment);
      const waiter = answer === undefined ? undefined : this.waiting.get(answer.qn);
      if (answer === undefined || waiter === undefined) {
        // Answers to nothing we wait for (late, or to a message sent without asking) are dropped
        // by the handler; everything else is a platform request.
        this.handlers.onFrame(ev.segment);
        continue;
      }
      if (answer.cn === CN.requestAnswer && answer.qnRtn !== QN_RTN.ready) {
        // The platform refused the message itself (wrong password, MN…): re-sending cannot help.
        waiter.reject(new Error(`platform refused QN=${answer.qn} with QnRtn ${answer.qnRtn ?? '?'}`));
      } else if (answer.cn === CN.dataAnswer || answer.cn === CN.notificationAnswer) {
        waiter.resolve();
      }
    }
  }

  /**
   * A QN for a frame that came without: an answer (9013/9014) is taken as the one to our only
   * outstanding exchange, if there is exactly one; a request gets a QN of ours for its replies.
   */
  private qnFor(cn: string): string {
    if ((cn === CN.dataAnswer || cn === CN.notificationAnswer) && this.waiting.size === 1) {
      return [...this.waiting.keys()][0]!;
    }
    return this.qn.next();
  }

  private end(reason: string): void {
    if (this.closed !== null) return;
    this.closed = reason;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    const err = new LinkClosedError(reason);
    for (const w of [...this.waiting.values()]) w.reject(err);
    this.waiting.clear();
    this.socket.destroy();
    this.handlers.onClose(reason);
  }
}
