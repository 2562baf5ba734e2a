import type { Clock, TimerHandle } from '../core/clock.js';
import type { StationEvent } from '../store/eventStore.js';

/** A line going down or coming back, as the status page and the event log show it. */
export interface LinkEvent extends StationEvent {
  kind: 'link-lost' | 'link-restored';
  bus: string;
  /** Set when the link is one device's (a device on a listen bus whose line fell silent), not the bus's. */
  device?: string;
  /** The error code of a device's lost link (e.g. LISTEN_SILENT). */
  code?: string;
  /** For link-restored: how long the line was down, ms (wall time of the two observations). */
  downMs?: number;
}

export interface LinkWatchDeps {
  buses: readonly { id: string; isConnected(): boolean }[];
  clock: Clock;
  record: (event: LinkEvent) => void;
  /** How often the lines are looked at (default 1 s): an event is at most this late. */
  everyMs?: number;
}

/**
 * Records every transition of a bus between connected and not. Buses report their state, not their
 * history; looking once a second keeps every bus implementation free of event plumbing, and a line
 * that flaps faster than that is visible in the poll failures anyway.
 */
export class LinkWatch {
  private readonly deps: LinkWatchDeps;
  private readonly state = new Map<string, { up: boolean; since: number }>();
  private timer: TimerHandle | null = null;

  constructor(deps: LinkWatchDeps) {
    this.deps = deps;
  }

  start(): void {
    const every = this.deps.everyMs ?? 1000;
    const tick = () => {
      this.check();
      this.timer = this.deps.clock.setTimeout(tick, every);
    };
    this.timer = this.deps.clock.setTimeout(tick, every);
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** One look at every bus; the first look only learns the state (no event for "up at start"). */
  check(): void {
    const now = this.deps.clock.now();
    for (const bus of this.deps.buses) {
      const up = bus.isConnected();
      const before = this.state.get(bus.id);
      if (before === undefined) {
        this.state.set(bus.id, { up, since: now });
        if (!up) this.deps.record({ kind: 'link-lost', bus: bus.id });
        continue;
      }
      if (before.up === up) continue;
      this.state.set(bus.id, { up, since: now });
      this.deps.record(
        up
          ? { kind: 'link-restored', bus: bus.id, downMs: now - before.since }
          : { kind: 'link-lost', bus: bus.id },
      );
    }
  }
}
