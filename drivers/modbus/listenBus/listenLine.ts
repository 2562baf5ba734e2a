import { createBackoff } from '../../../agent/core/backoff.js';
import type { Clock, TimerHandle } from '../../../agent/core/clock.js';
import type { Logger } from '../../../agent/core/log.js';
import { type ListenDevice, ListenPollSource, type PollSourceEvent } from '../listen/listenPollSource.js';
import { type ListenPort, type ListenPortSettings, openListenPort } from '../listen/listenPort.js';
import type { PairerEvent } from '../listen/requestPairer.js';
import { RtuListener } from '../listen/rtuListener.js';
import type { RegisterTable } from '../registers.js';
import type { BusStats } from '../tcpBus.js';

/**
 * A `serial-listen` bus: the serial port held through ListenPort (no write path), reopened with the
 * bus's reconnect backoff when it disappears, and the devices that listen on it. Each device has
 * its own ListenPollSource, kept across reopenings, so a port that vanishes makes its devices go
 * silent (and come back) exactly like a master that stops polling.
 */

export interface ListenLineSettings extends ListenPortSettings {
  id: string;
  reconnect: { min: number; max: number };
  answerTimeoutMs: number;
  /** The other master's interval when configured; learned otherwise. */
  intervalMs?: number | undefined;
  silentAfterIntervals: number;
}

export interface ListenLineDeps {
  settings: ListenLineSettings;
  clock: Clock;
  log: Logger;
  /** Opens the port; the real one by default (tests hand in an emulated line). */
  open?: (settings: ListenPortSettings) => Promise<ListenPort>;
}

export type ListenEventHandler = (e: PollSourceEvent) => void;

/** How often the devices' silence is checked, whether or not the port is open. */
const TICK_MS = 250;

export class ListenLine {
  readonly id: string;
  /** No request of ours waits for anything: kept for the FieldBus shape. */
  readonly timeoutMs: number;
  private readonly deps: ListenLineDeps;
  private readonly devices = new Map<string, { source: ListenPollSource; handler: ListenEventHandler }>();
  private readonly backoff;
  private listener: RtuListener | undefined;
  private running = false;
  private opening = false;
  private opens = 0;
  private openFailures = 0;
  private retry: TimerHandle | undefined;
  private ticker: TimerHandle | undefined;
  private readonly lineEvents = new Set<(e: PairerEvent) => void>();
  private readonly openWaiters = new Set<() => void>();
  lastOpenError: string | undefined;

  constructor(deps: ListenLineDeps) {
    this.deps = deps;
    this.id = deps.settings.id;
    this.timeoutMs = deps.settings.answerTimeoutMs;
    this.backoff = createBackoff({ minMs: deps.settings.reconnect.min, maxMs: deps.settings.reconnect.max });
  }

  /** A device to take readings for; its events go to `handler`. Returns the unsubscription. */
  listen(device: ListenDevice, handler: ListenEventHandler): () => void {
    const intervalMs = device.intervalMs ?? this.deps.settings.intervalMs;
    const source = new ListenPollSource({
      devices: [{ ...device, ...(intervalMs !== undefined ? { intervalMs } : {}) }],
      silentAfterIntervals: this.deps.settings.silentAfterIntervals,
    });
    this.devices.set(device.id, { source, handler });
    return () => {
      this.devices.delete(device.id);
    };
  }

  /** Every frame the line carries, paired (`read --listen` shows it raw). Returns the unsubscription. */
  onLineEvent(fn: (e: PairerEvent) => void): () => void {
    this.lineEvents.add(fn);
    return () => this.lineEvents.delete(fn);
  }

  /** The current listener (its census: `scan --listen`); undefined while the port is closed. */
  get current(): RtuListener | undefined {
    return this.listener;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
    void this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.retry) this.deps.clock.clearTimeout(this.retry);
    if (this.ticker) this.deps.clock.clearTimeout(this.ticker);
    this.retry = this.ticker = undefined;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.stop();
  }

  isConnected(): boolean {
    return this.listener !== undefined;
  }

  async ready(waitMs: number): Promise<boolean> {
    if (this.isConnected()) return true;
    return new Promise((resolve) => {
      const done = () => {
        this.deps.clock.clearTimeout(timer);
        this.openWaiters.delete(done);
        resolve(this.isConnected());
      };
      const timer = this.deps.clock.setTimeout(done, waitMs);
      this.openWaiters.add(done);
    });
  }

  /** Nothing is ever asked on a line another master polls. */
  read(_unit: number, _table: RegisterTable, _address: number, _count: number): Promise<number[]> {
    // Only a caller that ignores the plugin's pushed source gets here: a programming error.
    return Promise.reject(new Error(`bus ${this.id} listens: it sends no requests`));
  }

  stats(): BusStats {
    const pairer = this.listener?.pairer.stats;
    return {
      transactions: 0,
      timeouts: 0,
      exceptions: 0,
      badResponses: pairer ? pairer.unrequested + pairer.late + pairer.byteCount + pairer.contended : 0,
      reconnects: Math.max(0, this.opens - 1),
      connectFailures: this.openFailures,
      connected: this.isConnected(),
    };
  }

  private async open(): Promise<void> {
    if (!this.running || this.opening) return;
    this.opening = true;
    const { settings, clock, log } = this.deps;
    try {
      const port = await (this.deps.open ?? openListenPort)(settings);
      if (!this.running) {
        await port.close();
        return;
      }
      this.opens++;
      this.lastOpenError = undefined;
      this.backoff.reset();
      const listener: RtuListener = new RtuListener({
        port,
        clock,
        baudRate: settings.baudRate,
        devices: [],
        answerTimeoutMs: settings.answerTimeoutMs,
        onLineEvent: (e) => this.lineEvent(e),
        onPortClosed: (err): void => this.closed(listener, err),
      });
      this.listener = listener;
      listener.start();
      log.info({ port: settings.path }, 'listening on the line');
      for (const w of [...this.openWaiters]) w();
    } catch (err) {
      this.openFailures++;
      this.lastOpenError = err instanceof Error ? err.message : String(err);
      log.warn({ err, code: 'LISTEN_PORT_CLOSED', port: settings.path }, 'cannot open the port to listen');
      this.scheduleOpen();
    } finally {
      this.opening = false;
    }
  }

  private closed(listener: RtuListener, err?: Error): void {
    if (this.listener !== listener) return;
    this.listener = undefined;
    this.deps.log.warn(
      { err, code: 'LISTEN_PORT_CLOSED', port: this.deps.settings.path },
      'the listening port closed',
    );
    this.scheduleOpen();
  }

  private scheduleOpen(): void {
    if (!this.running) return;
    this.retry = this.deps.clock.setTimeout(() => {
      this.retry = undefined;
      void this.open();
    }, this.backoff.next());
  }

  private lineEvent(e: PairerEvent): void {
    for (const fn of this.lineEvents) fn(e);
    for (const { source, handler } of this.devices.values()) for (const out of source.event(e)) handler(out);
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.deps.clock.now();
    for (const { source, handler } of this.devices.values()) for (const out of source.tick(now)) handler(out);
    this.ticker = this.deps.clock.setTimeout(() => this.tick(), TICK_MS);
  }
}
