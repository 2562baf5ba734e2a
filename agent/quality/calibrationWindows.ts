import { createTask, type ScheduledTask } from 'node-cron';
import type { MaintenanceConfig } from '../config/qualitySchema.js';
import type { DataFlag } from '../core/reading.js';
import type { ActiveWindow, WindowFlag } from './flagResolution.js';

/**
 * Calibration and maintenance windows. Readings inside one are flagged (C or M), never dropped.
 *
 * Scheduled windows: a cron expression gives each window's start in station time (node-cron parses
 * and matches it, time zone included), `duration` its length, then `settling` more of the same flag.
 * Whether an instant is inside a window is a pure question of that instant: "was there a cron match
 * m with m <= ts < m + duration + settling". No timer is ever armed (the node-cron task is created
 * and never started), so fake clocks, restarts and clock steps need no special handling.
 *
 * Settling after the instrument's own C/M: SettlingTracker remembers the last reading the instrument
 * flagged C or M; readings up to `settling` after it keep that flag.
 */

const MINUTE_MS = 60_000;

interface Schedule {
  task: ScheduledTask;
  /** Cron granularity: a 5-field expression matches whole minutes, a 6-field one seconds. */
  stepMs: number;
  durationMs: number;
  settlingMs: number;
  flag: WindowFlag;
  devices: ReadonlySet<string> | null;
  /** Memo of task.match per candidate start: consecutive readings ask about the same minutes. */
  matches: Map<number, boolean>;
}

export class MaintenanceSchedule {
  private readonly schedules: Schedule[];

  constructor(config: Pick<MaintenanceConfig, 'schedules' | 'settling'>, timeZone: string) {
    this.schedules = config.schedules.map((s) => ({
      task: createTask(s.cron, () => undefined, { timezone: timeZone }),
      stepMs: s.cron.trim().split(/\s+/).length === 6 ? 1000 : MINUTE_MS,
      durationMs: s.duration,
      settlingMs: s.settling ?? config.settling,
      flag: s.flag,
      devices: s.devices ? new Set(s.devices) : null,
      matches: new Map(),
    }));
  }

  /** The scheduled window (or its settling time) of `device` covering `ts`, else null. First schedule wins. */
  windowAt(device: string, ts: number): ActiveWindow | null {
    for (const s of this.schedules) {
      if (s.devices && !s.devices.has(device)) continue;
      const start = this.lastStartWithin(s, ts, s.durationMs + s.settlingMs);
      if (start === null) continue;
      return { flag: s.flag, source: ts < start + s.durationMs ? 'schedule' : 'settling' };
    }
    return null;
  }

  /** Removes the (never started) node-cron tasks from node-cron's registry. */
  close(): void {
    for (const s of this.schedules) void s.task.destroy();
  }

  /** The latest cron match m with ts − span < m <= ts, or null. */
  private lastStartWithin(s: Schedule, ts: number, spanMs: number): number | null {
    if (s.matches.size > (4 * spanMs) / s.stepMs + 16) this.prune(s, ts - spanMs);
    const newest = Math.floor(ts / s.stepMs) * s.stepMs;
    for (let m = newest; m > ts - spanMs; m -= s.stepMs) {
      if (this.matches(s, m)) return m;
    }
    return null;
  }

  private matches(s: Schedule, at: number): boolean {
    let hit = s.matches.get(at);
    if (hit === undefined) {
      hit = s.task.match(new Date(at));
      s.matches.set(at, hit);
    }
    return hit;
  }

  private prune(s: Schedule, before: number): void {
    for (const at of s.matches.keys()) if (at <= before) s.matches.delete(at);
  }
}

/** Settling after the instrument's own calibration/maintenance, for one device. */
export class SettlingTracker {
  private last: { ts: number; flag: WindowFlag } | null = null;

  constructor(private readonly settlingMs: number) {}

  /** Feeds the flag acquisition gave a reading of this device (in time order). */
  observe(ts: number, instrumentFlag: DataFlag): void {
    if (instrumentFlag === 'C' || instrumentFlag === 'M') this.last = { ts, flag: instrumentFlag };
  }

  /** The settling window covering `ts` (after the last C/M reading), else null. */
  windowAt(ts: number): ActiveWindow | null {
    const last = this.last;
    if (last === null || ts <= last.ts || ts - last.ts > this.settlingMs) return null;
    return { flag: last.flag, source: 'settling' };
  }
}
