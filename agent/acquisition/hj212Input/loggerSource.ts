import type { DeviceConfig } from '../../config/schema.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { AgentError } from '../../core/errors.js';
import type { PollResult } from '../../core/pollOutcome.js';
import type { PushedSource, PushedStatus, PushSink } from '../driverPlugin.js';
import type { LoggerCounters } from './inputTypes.js';

export interface LoggerSourceDeps {
  device: DeviceConfig;
  /** The link counts as lost after this many device intervals without an upload. */
  linkLostAfter: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** This logger's share of the input's counters; undefined before its first frame. */
  counters: () => LoggerCounters | undefined;
}

/**
 * One logger device's pushed source: its 2011 uploads arrive from the bus (deliver) and go to the
 * device's sink as results, with the logger's values, flags and DataTime untouched. The device's
 * interval is the logger's expected real-time period: after `linkLostAfter` of them without an
 * upload the link is reported lost, and the next upload reports it back.
 */
export class LoggerSource implements PushedSource {
  readonly kind = 'pushed';
  private sink: PushSink | undefined;
  private timer: TimerHandle | null = null;
  private lost = false;
  private kept = 0;

  constructor(private readonly deps: LoggerSourceDeps) {}

  start(sink: PushSink): void {
    this.sink = sink;
    this.lost = false;
    this.arm();
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    this.disarm();
  }

  /**
   * Throws while the device is not running, and resolves only once the readings are committed (rejects
   * when they could not be), so an upload is answered only when it is durable; else the logger re-sends it.
   */
  deliver(result: PollResult): Promise<void> {
    const sink = this.sink;
    if (sink === undefined) throw new Error(`device ${this.deps.device.id} is not running`);
    if (this.lost) {
      this.lost = false;
      sink.linkResumed();
    }
    const committed = sink.result(result);
    this.arm();
    return committed;
  }

  aggregatesKept(n: number): void {
    this.kept += n;
  }

  status(): PushedStatus {
    const c = this.deps.counters();
    return {
      received: c?.framesOk ?? 0,
      duplicates: c?.duplicates ?? 0,
      unknownCodes: { ...(c?.unknownCodes ?? {}) },
      answered: c?.answered ?? 0,
      deviceAggregates: this.kept,
    };
  }

  private arm(): void {
    this.disarm();
    const { device, linkLostAfter, clock } = this.deps;
    const afterMs = device.interval * linkLostAfter;
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      if (this.sink === undefined || this.lost) return;
      this.lost = true;
      this.sink.linkLost(linkLostError(device, device.logger?.mn ?? '', afterMs));
    }, afterMs);
  }

  private disarm(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

function linkLostError(device: DeviceConfig, mn: string, afterMs: number): AgentError {
  return new AgentError(
    'HJ212_INPUT_SILENT',
    `no upload from the data logger (MN ${mn}) for ${Math.round(afterMs / 1000)}s`,
    { device: device.id, bus: device.bus, mn },
  );
}
