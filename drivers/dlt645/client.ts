import { decodeAddress } from './bcd.js';
import { type Dlt645Protocol, formatIdentifier } from './dataIdentifiers.js';
import { type Dlt645Frame, encodeFrame } from './frame.js';
import { createFrameStream } from './frameStream.js';
import {
  CONTROL,
  followUpRequest,
  interpretReadAnswer,
  type ReadAnswer,
  readAddressRequest,
  readRequest,
} from './messages.js';
import { Dlt645Error } from './meterErrors.js';

/**
 * A reading master for one RS-485 line: one transaction at a time (the line is half duplex and
 * every meter hears every request), a timeout per attempt, resends on silence, follow-up frames
 * for long answers. Bytes arriving between transactions, and frames that answer something else
 * (a late answer to a timed-out request, another meter, our own echo), are counted and ignored;
 * before each request the framer forgets any partial frame, so stale bytes never join a new answer.
 */

/** The byte stream to the line: a serial port, a pty, a TCP serial server, or a test double. */
export interface Dlt645Transport {
  write(bytes: Uint8Array): Promise<void>;
  /** Subscribes to received bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
}

export interface Dlt645Timers<H> {
  setTimeout(fn: () => void, ms: number): H;
  clearTimeout(handle: H): void;
}

export interface Dlt645ClientOptions {
  /** Default protocol of read(); each call may give its own. Default '2007'. */
  protocol?: Dlt645Protocol;
  /** Wait for an answer per attempt. Default 1000 ms (meters answer within a few hundred). */
  timeoutMs?: number;
  /** Resends after a timeout. Default 1. */
  retries?: number;
  /** FE bytes before each request. Default 4. */
  preamble?: number;
  /** Longest chain of follow-up frames accepted for one read. Default 16. */
  maxFollowUps?: number;
}

export interface Dlt645ClientDeps<H> {
  transport: Dlt645Transport;
  timers: Dlt645Timers<H>;
  options?: Dlt645ClientOptions;
}

export interface Dlt645ClientCounters {
  requests: number;
  answers: number;
  timeouts: number;
  resends: number;
  errorAnswers: number;
  /** Valid frames that answered something else, or arrived while nothing was asked. */
  unrelatedFrames: number;
  badChecksum: number;
  garbageBytes: number;
  malformedFrames: number;
  discardedPartial: number;
}

export interface Dlt645Client {
  /** The value bytes of a read (follow-up frames joined), after the identifier. */
  readRaw(address: string, di: number, protocol?: Dlt645Protocol): Promise<Uint8Array>;
  /** 2007 read-address to the wildcard address: the address of the only meter on the line. */
  readAddress(): Promise<string>;
  counters(): Dlt645ClientCounters;
  /** Unsubscribes; pending and later calls fail with DLT645_LINE_ERROR. */
  close(): void;
}

interface Waiter {
  accept(frame: Dlt645Frame): boolean;
  /** Ends the wait without an answer (the client is being closed). */
  cancel(): void;
}

export function createDlt645Client<H>(deps: Dlt645ClientDeps<H>): Dlt645Client {
  const opts = deps.options ?? {};
  const defaultProtocol = opts.protocol ?? '2007';
  const timeoutMs = opts.timeoutMs ?? 1000;
  const retries = opts.retries ?? 1;
  const preamble = opts.preamble ?? 4;
  const maxFollowUps = opts.maxFollowUps ?? 16;
  const framer = createFrameStream();
  const counts = { requests: 0, answers: 0, timeouts: 0, resends: 0, errorAnswers: 0, unrelatedFrames: 0 };
  let waiter: Waiter | undefined;
  let closed = false;
  let chain: Promise<unknown> = Promise.resolve();

  const unsubscribe = deps.transport.onData((chunk) => {
    for (const frame of framer.push(chunk)) {
      if (!waiter?.accept(frame)) counts.unrelatedFrames++;
    }
  });

  /** Sends `request` (resending on silence) until `match` gives a result for an answer. */
  async function exchange<T>(request: Dlt645Frame, match: (f: Dlt645Frame) => T | undefined): Promise<T> {
    const bytes = encodeFrame(request, { preamble });
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (closed) throw new Dlt645Error('DLT645_LINE_ERROR', 'the DL/T 645 client is closed');
      if (attempt > 0) counts.resends++;
      framer.reset();
      counts.requests++;
      let handle: H | undefined;
      const answered = new Promise<T | undefined>((resolve) => {
        waiter = {
          accept(frame) {
            const result = match(frame);
            if (result === undefined) return false;
            resolve(result);
            return true;
          },
          cancel: () => resolve(undefined),
        };
        handle = deps.timers.setTimeout(() => resolve(undefined), timeoutMs);
      });
      try {
        await deps.transport.write(bytes);
      } catch (err) {
        waiter = undefined;
        if (handle !== undefined) deps.timers.clearTimeout(handle);
        const msg = err instanceof Error ? err.message : String(err);
        throw new Dlt645Error('DLT645_LINE_ERROR', `cannot write to the line: ${msg}`, [], { cause: err });
      }
      const result = await answered;
      waiter = undefined;
      if (handle !== undefined) deps.timers.clearTimeout(handle);
      if (closed) throw new Dlt645Error('DLT645_LINE_ERROR', 'the DL/T 645 client was closed during a read');
      if (result !== undefined) {
        counts.answers++;
        return result;
      }
      counts.timeouts++;
    }
    throw new Dlt645Error(
      'DLT645_TIMEOUT',
      `meter ${request.address} did not answer within ${timeoutMs} ms (${retries + 1} attempts)`,
    );
  }

  function readExchange(protocol: Dlt645Protocol, request: Dlt645Frame): Promise<ReadAnswer> {
    return exchange(request, (frame) => {
      const answer = interpretReadAnswer(protocol, request, frame);
      return answer.kind === 'unrelated' ? undefined : answer;
    });
  }

  function dataOf(answer: ReadAnswer, address: string, what: string) {
    if (answer.kind === 'error') {
      counts.errorAnswers++;
      const names = answer.errors.length > 0 ? answer.errors.join(', ') : 'no flag set';
      throw new Dlt645Error(
        'DLT645_METER_ERROR',
        `meter ${address} refused ${what}: ${names}`,
        answer.errors,
      );
    }
    if (answer.kind !== 'data') {
      const why = answer.kind === 'malformed' ? answer.why : 'unrelated';
      throw new Dlt645Error('DLT645_BAD_ANSWER', `meter ${address} answered ${what} badly: ${why}`);
    }
    return answer;
  }

  async function readRawNow(address: string, di: number, protocol: Dlt645Protocol): Promise<Uint8Array> {
    const what = `identifier ${formatIdentifier(protocol, di)}`;
    let answer = dataOf(await readExchange(protocol, readRequest(protocol, address, di)), address, what);
    const parts = [answer.payload];
    for (let sequence = 1; answer.moreFollows; sequence++) {
      if (protocol !== '2007') {
        throw new Dlt645Error(
          'DLT645_BAD_ANSWER',
          `meter ${address}: 1997 follow-up frames are not supported`,
        );
      }
      if (sequence > maxFollowUps) {
        throw new Dlt645Error(
          'DLT645_BAD_ANSWER',
          `meter ${address}: more than ${maxFollowUps} follow-up frames`,
        );
      }
      answer = dataOf(await readExchange(protocol, followUpRequest(address, di, sequence)), address, what);
      if (answer.sequence !== sequence) {
        throw new Dlt645Error(
          'DLT645_BAD_ANSWER',
          `meter ${address}: follow-up frame ${answer.sequence} where ${sequence} was asked`,
        );
      }
      parts.push(answer.payload);
    }
    const total = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      total.set(p, at);
      at += p.length;
    }
    return total;
  }

  function serialized<T>(op: () => Promise<T>): Promise<T> {
    const run = chain.then(op);
    chain = run.catch(() => undefined);
    return run;
  }

  return {
    readRaw: (address, di, protocol = defaultProtocol) => serialized(() => readRawNow(address, di, protocol)),
    readAddress: () =>
      serialized(() =>
        exchange(readAddressRequest(), (frame) =>
          // 93: the meter's address in the data (lowest byte first, like the header).
          frame.control === (CONTROL.readAddress2007 | 0x80) && frame.data.length === 6
            ? decodeAddress(frame.data)
            : undefined,
        ),
      ),
    counters() {
      const f = framer.counters();
      return {
        ...counts,
        badChecksum: f.badChecksum,
        garbageBytes: f.garbageBytes,
        malformedFrames: f.malformed,
        discardedPartial: f.discardedPartial,
      };
    },
    close() {
      closed = true;
      unsubscribe();
      waiter?.cancel();
    },
  };
}
