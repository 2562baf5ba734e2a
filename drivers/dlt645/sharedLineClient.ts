import { createDlt645Client, type Dlt645Client, type Dlt645ClientOptions } from './client.js';
import { FRAME_START, PREAMBLE_BYTE, parseFrameAt } from './frame.js';
import { createLineTransport } from './lineTransport.js';

/**
 * A DL/T 645 client on a line shared with other devices (drivers/serial/serialLine.ts: one exchange
 * at a time, first come first served, guard time after a timeout). The line times each exchange
 * from the moment it is written, after the queue; so the client's own timer is replaced by the
 * line's outcome: the answer frame is handed to the client, and a timeout, garbage or an answer
 * the client does not take ends the client's wait as a timeout (it then resends or gives up with
 * DLT645_TIMEOUT). A lost line fails the write: DLT645_LINE_ERROR.
 */

/** What the client needs of the line (drivers/serial/serialLine.ts's transact). */
export interface MeterLine {
  transact(request: Buffer, frameLength: (buf: Buffer) => number, timeoutMs: number): Promise<Buffer>;
}

/** Kinds of line failure that mean "no usable answer" rather than "no line". */
const NO_ANSWER = new Set(['timeout', 'garbage']);

/**
 * The length of the answer at the start of `buf` (wake-up FEs included): > 0 complete, 0 more
 * bytes needed, -1 no answer can start here (the line drops a noise byte or calls it garbage).
 */
export function dlt645FrameLength(buf: Buffer): number {
  let at = 0;
  while (at < buf.length && buf[at] === PREAMBLE_BYTE) at++;
  if (at === buf.length) return 0;
  if (buf[at] !== FRAME_START) return -1;
  const parsed = parseFrameAt(buf, at);
  if (parsed.kind === 'frame') return at + parsed.length;
  return parsed.kind === 'incomplete' ? 0 : -1;
}

export function createSharedLineClient(
  line: MeterLine,
  options: Dlt645ClientOptions & { timeoutMs: number },
): Dlt645Client {
  // The client's timeout callback of the attempt in progress: called by the line's outcome.
  let ending: (() => void) | undefined;
  const lt = createLineTransport(async (bytes) => {
    const end = ending;
    try {
      const frame = await line.transact(Buffer.from(bytes), dlt645FrameLength, options.timeoutMs);
      lt.receive(frame);
    } catch (err) {
      const kind = typeof err === 'object' && err !== null ? (err as { kind?: unknown }).kind : undefined;
      if (typeof kind !== 'string' || !NO_ANSWER.has(kind)) throw err;
    }
    // Taken: the wait is already over and this does nothing. Not taken or none: no answer.
    end?.();
  });
  let next = 0;
  const timers = {
    setTimeout(fn: () => void): number {
      ending = fn;
      return ++next;
    },
    clearTimeout(handle: number): void {
      if (handle === next) ending = undefined;
    },
  };
  return createDlt645Client({ transport: lt.transport, timers, options });
}
