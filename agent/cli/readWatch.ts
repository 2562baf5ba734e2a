import { formatDuration } from '../config/duration.js';

/**
 * `station-agent read --watch`: the one-poll report of `read`, again every interval until Ctrl-C,
 * so a technician sees a value move while turning a valve or re-seating a cable. On a terminal each
 * report replaces the previous one (cursor home, then clear what is left, as watch(1) does); into a
 * pipe or file the reports follow one another, each under a header line with its time.
 */

/** One poll's report (the text `read` prints) and whether the poll was ok. */
export interface PollReport {
  text: string;
  ok: boolean;
}

export interface WatchIo {
  out: { write(text: string): unknown; isTTY?: boolean };
}

export interface WatchDeps {
  io: WatchIo;
  /** Polls the device once; never rejects (a failure is a report too). */
  poll(): Promise<PollReport>;
  intervalMs: number;
  /** Aborted by Ctrl-C (SIGINT) or SIGTERM: the watch ends, exit code 0. */
  signal: AbortSignal;
  now(): number;
  /** A report's time in the header (the station's time zone). */
  formatTime(ms: number): string;
  /** Waits `ms`, ending early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Cursor home, then each line cleared to its end, then the rest of the screen cleared. */
const HOME = '\x1b[H';
const CLEAR_SCREEN = '\x1b[2J';
const CLEAR_LINE_END = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';

/** How many reports were shown (for tests and the caller's log). */
export async function watchDevice(deps: WatchDeps): Promise<number> {
  const { io, signal, intervalMs } = deps;
  const tty = io.out.isTTY === true;
  let shown = 0;
  while (!signal.aborted) {
    const started = deps.now();
    const report = await untilAborted(deps.poll(), signal);
    if (report === undefined) break;
    shown++;
    const head =
      `${deps.formatTime(started)}  refresh ${shown}, every ${formatDuration(intervalMs)}` +
      `${report.ok ? '' : ' (poll failed)'}; Ctrl-C to stop`;
    if (tty) {
      const lines = `${head}\n\n${report.text}`.replace(/\n$/, '').split('\n');
      const frame = lines.map((l) => `${l}${CLEAR_LINE_END}`).join('\n');
      io.out.write(`${shown === 1 ? CLEAR_SCREEN : ''}${HOME}${frame}\n${CLEAR_BELOW}`);
    } else {
      io.out.write(`${shown === 1 ? '' : '\n'}=== ${head} ===\n${report.text}`);
    }
    // The next poll starts one interval after this one started: a slow poll does not shift the rhythm.
    await deps.sleep(Math.max(0, intervalMs - (deps.now() - started)), signal);
  }
  return shown;
}

/** The poll's report, or undefined as soon as the watch is stopped (a poll may wait on timeouts). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      () => {
        // poll() does not reject; if it ever did, the watch stops rather than crash.
        signal.removeEventListener('abort', onAbort);
        resolve(undefined);
      },
    );
  });
}

/** The sleep for WatchDeps: a timer that an abort ends early. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
