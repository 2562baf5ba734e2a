import type { ChannelConfig } from '../config/schema.js';
import type { NewReading, StoredReading } from '../core/reading.js';
import { type MaintenanceSchedule, SettlingTracker } from './calibrationWindows.js';
import { ChannelQc } from './channelQc.js';
import { aboveMeasuringRange } from './checks.js';
import { type ActiveWindow, inService, resolveFlag } from './flagResolution.js';

/**
 * Quality control of one device's polls, between acquisition and the store:
 *   poll -> DeviceQuality.apply -> ReadingStore.append
 * Each reading keeps its raw value; it gains the instrument state, the result of every check and the
 * resolved HJ 212 flag (flagResolution.ts). Nothing is dropped.
 */

export interface DeviceQualityDeps {
  device: {
    id: string;
    interval: number;
    channels: readonly Pick<ChannelConfig, 'id' | 'qc' | 'cycle'>[];
  };
  schedule: Pick<MaintenanceSchedule, 'windowAt'>;
  /** maintenance.settling: how long readings keep C/M after the instrument leaves calibration/maintenance. */
  settlingMs: number;
}

/** What a poll knows about the device beyond its readings (PollResult). */
export interface PollFacts {
  state: number | null;
  measuredAt?: number | null;
}

interface ChannelEntry {
  qc: ChannelQc;
  measuringRange: readonly [number, number] | undefined;
}

export class DeviceQuality {
  private readonly deviceId: string;
  private readonly schedule: Pick<MaintenanceSchedule, 'windowAt'>;
  private readonly settling: SettlingTracker;
  private readonly settlingMs: number;
  private readonly channels = new Map<string, ChannelEntry>();

  constructor(deps: DeviceQualityDeps) {
    const { device } = deps;
    this.deviceId = device.id;
    this.schedule = deps.schedule;
    this.settlingMs = deps.settlingMs;
    this.settling = new SettlingTracker(deps.settlingMs);
    for (const ch of device.channels) {
      this.channels.set(ch.id, {
        qc: new ChannelQc({ qc: ch.qc, intervalMs: device.interval, cycleMs: ch.cycle }),
        measuringRange: ch.qc?.measuringRange,
      });
    }
  }

  /** How far back `prime` needs stored readings of this device after a restart. */
  get lookbackMs(): number {
    let ms = this.settlingMs;
    for (const ch of this.channels.values()) ms = Math.max(ms, ch.qc.lookbackMs);
    return ms;
  }

  /** The poll's readings with state, check results and resolved flag. Readings of unknown channels pass unchanged. */
  apply(readings: readonly NewReading[], poll: PollFacts): NewReading[] {
    for (const r of readings) this.settling.observe(r.ts, r.flag);
    return readings.map((r) => {
      const ch = this.channels.get(r.channel);
      if (!ch) return r;
      const window = this.windowAt(r.ts);
      const withoutRange = resolveFlag({ instrument: r.flag, window, overRange: false });
      const qc = ch.qc.evaluate({
        ts: r.ts,
        value: r.value,
        inService: inService(withoutRange),
        measuredAt: poll.measuredAt,
      });
      const flag = resolveFlag({
        instrument: r.flag,
        window,
        overRange: aboveMeasuringRange(r.value, ch.measuringRange),
      });
      return { ...r, flag, qc, state: poll.state };
    });
  }

  /**
   * Restores check history and settling after a restart from this device's stored readings (seq
   * order, covering `lookbackMs`). The stored flag is the resolved one, so a C/M there counts as the
   * instrument's: a restart inside a settling time can lengthen it by up to one settling time.
   */
  prime(stored: readonly StoredReading[]): void {
    const perChannel = new Map<string, StoredReading[]>();
    for (const r of stored) {
      if (r.device !== this.deviceId) continue;
      if (this.schedule.windowAt(r.device, r.ts) === null) this.settling.observe(r.ts, r.flag);
      const list = perChannel.get(r.channel) ?? [];
      list.push(r);
      perChannel.set(r.channel, list);
    }
    for (const [channel, list] of perChannel) {
      this.channels
        .get(channel)
        ?.qc.prime(list.map((r) => ({ ts: r.ts, value: r.value, inService: inService(r.flag), qc: r.qc })));
    }
  }

  /** A scheduled window proper wins over settling; the instrument's settling over a schedule's. */
  private windowAt(ts: number): ActiveWindow | null {
    const scheduled = this.schedule.windowAt(this.deviceId, ts);
    if (scheduled?.source === 'schedule') return scheduled;
    return this.settling.windowAt(ts) ?? scheduled;
  }
}
