import {
  DEFAULT_ALARM_DELAY_MS,
  FACILITY_ALARM_DEVICE,
  FACILITY_STATE_DEVICE,
  type FacilityConfig,
} from '../config/facilitySchema.js';
import type { NewReading, StoredReading } from '../core/reading.js';
import {
  type AlarmChange,
  evaluatePair,
  initialPair,
  type PairState,
  type TreatmentFault,
} from './alarmEvaluator.js';
import { type FacilityAlarmEvent, pairKey } from './facilityEvents.js';
import { type RunState, RunStateMachine } from './runState.js';

/**
 * Every configured facility: its run state from the readings of its power channels, the alarms of
 * its required treatments, and the readings of the virtual devices that carry both (docs/facilities.md).
 * Fed with committed readings of any driver; time comes with the readings and with tick(now).
 */

export interface FacilityStatus {
  id: string;
  name: string | null;
  role: FacilityConfig['role'];
  state: RunState;
  since: number | null;
  /** Summed power (kW or A) of the last valid samples; null while unknown. */
  power: number | null;
  /** Open alarms of a production facility, one per stopped required treatment. */
  alarms: { treatment: string; since: number; fault: TreatmentFault }[];
}

export interface FacilityMonitorDeps {
  facilities: readonly FacilityConfig[];
  /** Poll interval (ms) of a device, for the default unknownAfter; undefined for an unknown device. */
  intervalOf: (device: string) => number | undefined;
  /** Stores an alarm event (StationAgent.recordEvent: the event store, forwarded like every event). */
  record: (event: FacilityAlarmEvent) => void;
}

interface Facility {
  config: FacilityConfig;
  machine: RunStateMachine;
  unknownAfterMs: number;
  sampleEveryMs: number;
  /** Last sample per power channel (key device\0channel); null value: invalid. */
  samples: Map<string, { ts: number; value: number | null }>;
  lastEmitted: number;
}

interface Pair {
  production: Facility;
  treatment: Facility;
  state: PairState;
}

const DEFAULT_INTERVAL_MS = 60_000;
/** Unknown after this many intervals of the slowest power device without a valid sample. */
const UNKNOWN_AFTER_INTERVALS = 3;

const channelKey = (device: string, channel: string) => `${device}\u0000${channel}`;

export class FacilityMonitor {
  private readonly deps: FacilityMonitorDeps;
  private readonly facilities = new Map<string, Facility>();
  private readonly byChannel = new Map<string, Facility[]>();
  private readonly pairs = new Map<string, Pair>();

  constructor(deps: FacilityMonitorDeps) {
    this.deps = deps;
    for (const config of deps.facilities) {
      const slowest = Math.max(...config.power.map((p) => deps.intervalOf(p.device) ?? DEFAULT_INTERVAL_MS));
      const unknownAfterMs = config.unknownAfter ?? UNKNOWN_AFTER_INTERVALS * slowest;
      const facility: Facility = {
        config,
        machine: new RunStateMachine({
          threshold: config.threshold,
          hysteresis: config.hysteresis,
          minDurationMs: config.minDuration,
          unknownAfterMs,
        }),
        unknownAfterMs,
        sampleEveryMs: slowest,
        samples: new Map(),
        lastEmitted: Number.NEGATIVE_INFINITY,
      };
      this.facilities.set(config.id, facility);
      for (const p of config.power) {
        const key = channelKey(p.device, p.channel);
        this.byChannel.set(key, [...(this.byChannel.get(key) ?? []), facility]);
      }
    }
    for (const production of this.facilities.values()) {
      for (const t of production.config.requires ?? []) {
        const treatment = this.facilities.get(t);
        if (treatment === undefined) continue; // the schema refuses it
        this.pairs.set(pairKey(production.config.id, t), { production, treatment, state: initialPair() });
      }
    }
  }

  /**
   * Takes over the alarms open when the agent last stopped (openAlarms of the stored events): they
   * stay open, without a second start event, until the pair is good again. One whose pair is no
   * longer configured is ended now.
   */
  restore(open: ReadonlyMap<string, { since: number; fault: TreatmentFault }>): void {
    for (const [key, alarm] of open) {
      const pair = this.pairs.get(key);
      if (pair !== undefined) {
        pair.state = initialPair(alarm);
        continue;
      }
      const [production = '', treatment = ''] = key.split('\u0000');
      this.deps.record({
        kind: 'facility-alarm-end',
        production,
        treatment,
        since: alarm.since,
        reason: 'config-changed',
        productionPower: null,
        treatmentPower: null,
      });
    }
  }

  /** The virtual channels (run state of each facility, alarm of each production with requires). */
  channels(): { device: string; channel: string; sampleEveryMs: number }[] {
    const out: { device: string; channel: string; sampleEveryMs: number }[] = [];
    for (const f of this.facilities.values()) {
      out.push({ device: FACILITY_STATE_DEVICE, channel: f.config.id, sampleEveryMs: f.sampleEveryMs });
      if (this.hasPairs(f)) {
        out.push({ device: FACILITY_ALARM_DEVICE, channel: f.config.id, sampleEveryMs: f.sampleEveryMs });
      }
    }
    return out;
  }

  /** Feeds committed readings; returns the virtual readings they give (for the store). */
  ingest(readings: readonly StoredReading[]): NewReading[] {
    const out: NewReading[] = [];
    for (const r of readings) {
      const watchers = this.byChannel.get(channelKey(r.device, r.channel));
      if (watchers === undefined) continue;
      const valid = r.value !== null && Number.isFinite(r.value) && r.flag !== 'B';
      for (const f of watchers) {
        f.samples.set(channelKey(r.device, r.channel), { ts: r.ts, value: valid ? r.value : null });
        const power = this.sum(f, r.ts);
        f.machine.observe({ ts: r.ts, value: power, flag: power === null ? 'B' : 'N' });
        this.evaluate(r.ts, f);
        // Several summed channels of one poll share a timestamp: one run-state reading per instant.
        if (r.ts <= f.lastEmitted) continue;
        f.lastEmitted = r.ts;
        out.push(...this.readingsOf(f, r.ts));
      }
    }
    return out;
  }

  /** Lets time pass: run states without samples turn unknown, alarm delays elapse. */
  tick(now: number): void {
    for (const f of this.facilities.values()) f.machine.advance(now);
    this.evaluate(now);
  }

  status(): FacilityStatus[] {
    return [...this.facilities.values()].map((f) => ({
      id: f.config.id,
      name: f.config.name ?? null,
      role: f.config.role,
      state: f.machine.state,
      since: f.machine.since,
      power: f.machine.power,
      alarms: [...this.pairs.values()]
        .filter((p) => p.production === f && p.state.open !== null)
        .map((p) => ({
          treatment: p.treatment.config.id,
          since: p.state.open!.since,
          fault: p.state.open!.fault,
        })),
    }));
  }

  private hasPairs(f: Facility): boolean {
    return (f.config.requires ?? []).length > 0;
  }

  /** The facility power at `ts`: every channel's last sample valid and recent enough, else null. */
  private sum(f: Facility, ts: number): number | null {
    let total = 0;
    for (const p of f.config.power) {
      const s = f.samples.get(channelKey(p.device, p.channel));
      if (s === undefined || s.value === null || Math.abs(ts - s.ts) > f.unknownAfterMs) return null;
      total += s.value;
    }
    return total;
  }

  private evaluate(now: number, only?: Facility): void {
    for (const pair of this.pairs.values()) {
      if (only !== undefined && pair.production !== only && pair.treatment !== only) continue;
      const { production, treatment } = pair;
      const change = evaluatePair(
        pair.state,
        {
          production: snapshot(production),
          treatment: snapshot(treatment),
          ...(treatment.config.minLoad !== undefined ? { minLoad: treatment.config.minLoad } : {}),
        },
        production.config.delay ?? DEFAULT_ALARM_DELAY_MS,
        now,
      );
      if (change !== null) this.deps.record(this.eventOf(pair, change));
    }
  }

  private eventOf(pair: Pair, change: AlarmChange): FacilityAlarmEvent {
    const { production, treatment } = pair;
    const powers = { productionPower: production.machine.power, treatmentPower: treatment.machine.power };
    if (change.type === 'start') {
      return {
        kind: 'facility-alarm-start',
        production: production.config.id,
        productionName: production.config.name ?? null,
        treatment: treatment.config.id,
        treatmentName: treatment.config.name ?? null,
        fault: change.fault,
        since: change.since,
        ...powers,
      };
    }
    return {
      kind: 'facility-alarm-end',
      production: production.config.id,
      treatment: treatment.config.id,
      since: change.since,
      reason: change.reason,
      ...powers,
    };
  }

  private readingsOf(f: Facility, ts: number): NewReading[] {
    const state = f.machine.state;
    const out: NewReading[] = [
      {
        ts,
        device: FACILITY_STATE_DEVICE,
        channel: f.config.id,
        code: null,
        value: state === 'unknown' ? null : state === 'running' ? 1 : 0,
        unit: null,
        flag: state === 'unknown' ? 'B' : 'N',
      },
    ];
    if (this.hasPairs(f)) {
      const open = [...this.pairs.values()].some((p) => p.production === f && p.state.open !== null);
      out.push({
        ts,
        device: FACILITY_ALARM_DEVICE,
        channel: f.config.id,
        code: null,
        value: open ? 1 : 0,
        unit: null,
        flag: 'N',
      });
    }
    return out;
  }
}

function snapshot(f: Facility) {
  return { state: f.machine.state, since: f.machine.since, power: f.machine.power };
}
