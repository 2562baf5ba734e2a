import type { KnownStationEvent } from '../../agent/app/stationEvents.js';
import { silentLogger } from '../../agent/core/log.js';
import type { DataFlag, NewReading } from '../../agent/core/reading.js';
import { EventStore } from '../../agent/store/eventStore.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';

/**
 * A made-up past for a simulated station, written into its database before the agent opens it, so
 * the status page has history to chart: readings of every channel along gentle curves, a stretch
 * with none (a power cut), stretches flagged other than N (a calibration) and station events.
 * Used by the status page test and `npm run screenshot`.
 */

export interface SeedChannel {
  device: string;
  channel: string;
  code: string | null;
  /** As the station's config gives it: a reading's channel is (device, channel, code, unit). */
  unit: string | null;
  /** The level the values wander around. */
  level: number;
}

export interface SeedPlan {
  /** Readings every `stepMs` in [from, to). */
  spans: { from: number; to: number; stepMs: number }[];
  /** No readings in [from, to). */
  gap?: { from: number; to: number };
  /** Readings of one channel in [from, to) carry `flag`. */
  flagged?: { device: string; channel: string; flag: DataFlag; from: number; to: number }[];
  events?: { ts: number; event: KnownStationEvent }[];
}

/** Writes the plan's readings and events; returns the readings written. */
export function seedHistory(dbPath: string, channels: readonly SeedChannel[], plan: SeedPlan): NewReading[] {
  const db = openDatabase({ path: dbPath, log: silentLogger() });
  try {
    const readings: NewReading[] = [];
    for (const span of plan.spans) {
      for (let ts = span.from; ts < span.to; ts += span.stepMs) {
        if (plan.gap && ts >= plan.gap.from && ts < plan.gap.to) continue;
        for (const [i, c] of channels.entries()) {
          const value = c.level * (1 + 0.08 * Math.sin(ts / 600_000 + i) + 0.02 * Math.sin(ts / 97_000));
          const mark = plan.flagged?.find(
            (f) => f.device === c.device && f.channel === c.channel && ts >= f.from && ts < f.to,
          );
          const { device, channel, code, unit } = c;
          readings.push({ ts, device, channel, code, unit, value, flag: mark?.flag ?? 'N' });
        }
      }
    }
    readings.sort((a, b) => a.ts - b.ts);
    new ReadingStore({ db, log: silentLogger() }).append(readings);
    const events = new EventStore({ db });
    for (const e of plan.events ?? []) events.record(e.ts, e.event);
    return readings;
  } finally {
    db.close();
  }
}
