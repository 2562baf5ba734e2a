import { LineCensus } from './lineCensus.js';
import { type ListenDevice, ListenPollSource, type PollSourceEvent } from './listenPollSource.js';
import type { ListenPort } from './listenPort.js';
import { type PassiveFramerOptions, PassiveRtuFramer } from './passiveFramer.js';
import { type PairerEvent, RequestPairer, type RequestPairerOptions } from './requestPairer.js';

/**
 * A passive Modbus RTU listener: port bytes → framer → pairer → per-device values and the line
 * census. It holds a ListenPort, which has no write method: zero bytes sent is a property of the
 * types, not of care. Time comes from the injected clock (stamps and the silence check).
 */

/** The part of the agent's Clock the listener uses (the agent's Clock satisfies it). */
export interface ListenClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { readonly id: unknown };
  clearTimeout(handle: { readonly id: unknown }): void;
}

export interface RtuListenerOptions extends PassiveFramerOptions, RequestPairerOptions {
  port: ListenPort;
  clock: ListenClock;
  devices: readonly ListenDevice[];
  /** Default 3. */
  silentAfterIntervals?: number;
  /** Census window; default 60 s. */
  censusWindowMs?: number;
  /** How often the quiet-line checks run (truncation, unanswered requests, silent devices). Default 250 ms. */
  tickMs?: number;
  onEvent?: (e: PollSourceEvent) => void;
  /** Every pairer event, for diagnostics. */
  onLineEvent?: (e: PairerEvent) => void;
  /** The port went away (not by stop()): whoever owns the line reopens it and starts a new listener. */
  onPortClosed?: (err?: Error) => void;
}

export class RtuListener {
  readonly framer: PassiveRtuFramer;
  readonly pairer: RequestPairer;
  readonly source: ListenPollSource;
  readonly census: LineCensus;
  private timer: { readonly id: unknown } | undefined;
  private stopped = false;

  constructor(private readonly opts: RtuListenerOptions) {
    this.framer = new PassiveRtuFramer(opts);
    this.pairer = new RequestPairer(opts);
    this.source = new ListenPollSource({
      devices: opts.devices,
      ...(opts.silentAfterIntervals !== undefined ? { silentAfterIntervals: opts.silentAfterIntervals } : {}),
    });
    this.census = new LineCensus(opts.censusWindowMs !== undefined ? { windowMs: opts.censusWindowMs } : {});
  }

  start(): void {
    this.opts.port.on('data', (chunk) => this.bytes(chunk));
    this.opts.port.on('close', (err) => {
      if (this.stopped) return;
      this.stopped = true;
      if (this.timer) this.opts.clock.clearTimeout(this.timer);
      this.opts.onPortClosed?.(err);
    });
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    await this.opts.port.close();
  }

  private bytes(chunk: Buffer): void {
    const now = this.opts.clock.now();
    for (const frame of this.framer.push(chunk, now)) this.pair(this.pairer.frame(frame));
  }

  private tick(): void {
    const now = this.opts.clock.now();
    for (const frame of this.framer.flush(now)) this.pair(this.pairer.frame(frame));
    this.pair(this.pairer.tick(now));
    for (const e of this.source.tick(now)) this.opts.onEvent?.(e);
  }

  private pair(events: PairerEvent[]): void {
    for (const e of events) {
      this.census.event(e);
      this.opts.onLineEvent?.(e);
      for (const out of this.source.event(e)) this.opts.onEvent?.(out);
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.tick();
      this.schedule();
    }, this.opts.tickMs ?? 250);
  }
}
