import type { AggregationConfig } from '../config/qualitySchema.js';
import type { StationConfig } from '../config/schema.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { StoredReading } from '../core/reading.js';
import { overallQc } from '../quality/qcCodes.js';
import type { AggregateStore, StoredAggregate } from '../store/aggregateStore.js';
import type { EventStore } from '../store/eventStore.js';
import type { ReadingStore } from '../store/readingStore.js';
import { type ClockJump, ClockJumpDetector } from './clockJumpDetector.js';
import { expectedCount, minValidCount, SkippedTime } from './coverage.js';
import { type Period, PeriodCalendar, type PeriodKind } from './periods.js';
import {
  type AggregateRecord,
  type ChannelIdentity,
  counterDelta,
  parentRecord,
  SampleAccumulator,
} from './records.js';

/**
 * Minute, hour and day records of every channel, from committed readings.
 *
 * - Readings come in through add() (ReadingStore.onCommitted) and go to the open minute of their
 *   timestamp. Periods close on clock ticks only, `closeDelay` after they end, never because a
 *   later reading arrived: a reading stamped after a forward clock step must not close (and call
 *   missing) the minutes in between before the step is noticed.
 * - A minute is built from its samples; an hour from the stored minute records, a day from the stored
 *   hour records. So only open minutes live in memory, and restore() rebuilds them after a restart
 *   from the readings in the store: the records after a restart equal those without one.
 * - A period is closed once. Its record is stored by identity (channel, period, start); readings
 *   stamped into an already closed period arrive late and are left out (and counted), so a clock
 *   stepped back never yields a second, different record of a period.
 * - Clock steps (ClockJumpDetector, checked on every tick) are recorded as events. Backward: the open
 *   minutes up to the step are closed at once. Forward: the skipped wall time expects no samples
 *   (coverage.ts), so it does not show as missing data.
 */

export interface AggregationChannel extends ChannelIdentity {
  /** Time between samples: the device interval, or the analyzer cycle of a cycle-based channel. */
  sampleEveryMs: number;
  cumulative: false | { rollover?: number };
}

/** The channels of the enabled devices, as the aggregator needs them. */
export function aggregationChannels(config: Pick<StationConfig, 'devices'>): AggregationChannel[] {
  return config.devices
    .filter((d) => d.enabled)
    .flatMap((d) =>
      d.channels.map((ch) => ({
        device: d.id,
        channel: ch.id,
        code: ch.code ?? null,
        unit: ch.unit ?? null,
        sampleEveryMs: ch.cycle ?? d.interval,
        cumulative:
          ch.cumulative === undefined || ch.cumulative === false
            ? (false as const)
            : ch.cumulative === true
              ? {}
              : { rollover: ch.cumulative.rollover },
      })),
    );
}

export interface AggregatorDeps {
  channels: readonly AggregationChannel[];
  rules: AggregationConfig;
  timeZone: string;
  aggregates: Pick<AggregateStore, 'upsert' | 'byRange' | 'last'>;
  readings: Pick<ReadingStore, 'firstSeqSince' | 'iterateFrom' | 'lastValueBefore' | 'lastSeq'>;
  events: Pick<EventStore, 'record' | 'since'>;
  clock: Clock;
  log: Logger;
  /** How often periods are checked for closing and the clock for steps (default 1 s). */
  tickMs?: number;
  jumpToleranceMs?: number;
  /** After a long outage, periods older than this are not produced (default 2 days). */
  maxCatchUpMs?: number;
}

interface ChannelState {
  spec: AggregationChannel;
  /** End of the last closed period per kind: everything before it is final. */
  closed: Record<PeriodKind, number>;
  open: Map<number, SampleAccumulator>;
  /** Minutes up to here close now whatever the time (a backward clock step). */
  forceUntil: number;
  counter: number | null;
  late: number;
}

const DEFAULT_MAX_CATCH_UP_MS = 2 * 86_400_000;

export class Aggregator {
  private readonly deps: AggregatorDeps;
  private readonly calendar: PeriodCalendar;
  private readonly skipped: SkippedTime;
  private readonly states = new Map<string, ChannelState>();
  private readonly validFlags: ReadonlySet<string>;
  private readonly maxCatchUpMs: number;
  private detector: ClockJumpDetector | null = null;
  private timer: TimerHandle | null = null;

  constructor(deps: AggregatorDeps) {
    this.deps = deps;
    this.calendar = new PeriodCalendar(deps.timeZone);
    this.skipped = new SkippedTime(this.calendar);
    this.validFlags = new Set(deps.rules.validFlags);
    this.maxCatchUpMs = deps.maxCatchUpMs ?? DEFAULT_MAX_CATCH_UP_MS;
  }

  /** restore(), then tick every `tickMs` on the injected clock. */
  start(): void {
    this.restore();
    const every = this.deps.tickMs ?? 1000;
    const arm = () => {
      this.timer = this.deps.clock.setTimeout(() => {
        this.tick();
        arm();
      }, every);
    };
    arm();
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Rebuilds the state from the store: where each channel's periods stand (its newest records), the
   * skipped wall time of recent clock steps, and the open minutes from the readings after the last
   * closed one, replayed in seq order exactly as add() saw them. Call before subscribing add().
   */
  restore(): void {
    const { aggregates, readings, events, clock, log } = this.deps;
    const now = clock.now();
    this.detector = new ClockJumpDetector({ clock, toleranceMs: this.deps.jumpToleranceMs });
    const horizon = now - this.maxCatchUpMs;
    for (const e of events.since<ClockJump & { atStart?: boolean }>('clock-jump', horizon - 86_400_000)) {
      // A step noticed at start has no known origin: it skipped no time the agent lived through.
      if (!e.event.atStart) this.skipped.addJump(e.event);
    }
    const unknown = new Set<ChannelState>();
    for (const spec of this.deps.channels) {
      const st: ChannelState = {
        spec,
        closed: { minute: 0, hour: 0, day: 0 },
        open: new Map(),
        forceUntil: 0,
        counter: null,
        late: 0,
      };
      this.states.set(keyOf(spec), st);
      const minute = aggregates.last(spec, 'minute');
      if (minute) {
        this.originate(st, minute.end);
        st.closed.hour = aggregates.last(spec, 'hour')?.end ?? st.closed.hour;
        st.closed.day = aggregates.last(spec, 'day')?.end ?? st.closed.day;
        this.capCatchUp(st, now);
      } else unknown.add(st);
    }
    // Channels without records start at their first reading within the catch-up horizon.
    const known = [...this.states.values()].filter((s) => !unknown.has(s)).map((s) => s.closed.minute);
    const from = unknown.size > 0 ? horizon : Math.min(...known, now);
    // Replay from the first reading after the last closed minute; counters resume from the value
    // before it, as add() left them.
    const startSeq = readings.firstSeqSince(from) ?? readings.lastSeq() + 1;
    for (const st of this.states.values()) {
      if (!st.spec.cumulative) continue;
      st.counter = readings.lastValueBefore(st.spec.device, st.spec.channel, startSeq);
    }
    for (const r of readings.iterateFrom(startSeq)) {
      const st = this.states.get(keyOf(r));
      if (st && unknown.has(st) && st.closed.minute === 0 && r.ts >= horizon) {
        this.originate(st, Math.min(r.ts, now));
      }
      this.ingest(r);
    }
    for (const st of unknown) if (st.closed.minute === 0) this.originate(st, now);
    // The replay re-counts readings that were late before the restart, and older ones: start afresh.
    for (const st of this.states.values()) st.late = 0;
    const newest = Math.max(...[...this.states.values()].map((s) => s.closed.minute));
    if (now < newest - (this.deps.jumpToleranceMs ?? 2000)) {
      // The clock went back while the agent was down: nothing to measure the step against but the
      // periods already closed, and readings stamped before them are late until the clock passes them.
      this.recordJump({ kind: 'clock-jump', from: newest, to: now, deltaMs: now - newest }, now, true);
    }
    log.debug({ channels: this.states.size, fromSeq: startSeq }, 'aggregation restored');
  }

  /** Feeds committed readings (ReadingStore.onCommitted). */
  add(readings: readonly StoredReading[]): void {
    for (const r of readings) this.ingest(r);
  }

  /** Checks the clock for a step, then closes and stores every period that is due. Returns what was stored. */
  tick(): StoredAggregate[] {
    const { clock, log } = this.deps;
    if (this.detector === null) throw new Error('Aggregator.tick before restore()');
    const jump = this.detector.check();
    const now = clock.now();
    if (jump) this.onJump(jump, now);
    this.skipped.prune(now - this.maxCatchUpMs - 2 * 86_400_000);
    try {
      return [...this.closeMinutes(now), ...this.closeParents('hour'), ...this.closeParents('day')];
    } catch (err) {
      // Nothing advanced past what was committed: the next tick tries the same periods again.
      log.error({ err }, 'aggregation could not store its records');
      return [];
    }
  }

  /** Readings left out since restore() because their minute had closed, per channel (device/channel). */
  lateReadings(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const st of this.states.values())
      if (st.late > 0) out[`${st.spec.device}/${st.spec.channel}`] = st.late;
    return out;
  }

  private ingest(r: StoredReading): void {
    const st = this.states.get(keyOf(r));
    if (!st || st.closed.minute === 0 || r.qc?.repeat) return;
    let couDelta: number | null = null;
    if (st.spec.cumulative && r.value !== null) {
      // In arrival order, late readings included, so the counter's history matches a replay by seq.
      couDelta = counterDelta(st.counter, r.value, st.spec.cumulative.rollover);
      st.counter = r.value;
    }
    if (r.ts < st.closed.minute) {
      st.late++;
      return;
    }
    const start = this.calendar.periodOf('minute', r.ts).start;
    let acc = st.open.get(start);
    if (!acc) {
      acc = new SampleAccumulator();
      st.open.set(start, acc);
    }
    const valid =
      r.value !== null && this.validFlags.has(r.flag) && (r.qc === undefined || overallQc(r.qc) !== 4);
    acc.add({ value: r.value, flag: r.flag, valid, couDelta });
  }

  private onJump(jump: ClockJump, now: number): void {
    this.recordJump(jump, now, false);
    this.skipped.addJump(jump);
    if (jump.deltaMs < 0) {
      const until = this.calendar.periodOf('minute', jump.from).end;
      for (const st of this.states.values()) st.forceUntil = Math.max(st.forceUntil, until);
    }
  }

  private recordJump(jump: ClockJump, now: number, atStart: boolean): void {
    const { events, log } = this.deps;
    log.warn({ ...jump, atStart }, 'wall clock stepped');
    try {
      const event: ClockJump & { atStart?: true } = atStart ? { ...jump, atStart } : { ...jump };
      events.record(now, event);
    } catch (err) {
      log.error({ err }, 'could not record the clock step');
    }
  }

  private closeMinutes(now: number): StoredAggregate[] {
    const records: AggregateRecord[] = [];
    const advance: (() => void)[] = [];
    for (const st of this.states.values()) {
      this.capCatchUp(st, now);
      let at = st.closed.minute;
      for (;;) {
        const p = this.calendar.periodOf('minute', at);
        if (!(p.end <= st.forceUntil || p.end + this.deps.rules.closeDelay <= now)) break;
        const acc = st.open.get(p.start) ?? new SampleAccumulator();
        const expected = expectedCount(this.calendar, this.skipped, p, st.spec.sampleEveryMs);
        const rules = { minValid: this.minValid('minute', st), flagShare: this.deps.rules.flagShare };
        records.push(acc.record(st.spec, p, expected, rules));
        at = p.end;
      }
      const until = at;
      advance.push(() => {
        for (const start of st.open.keys()) if (start < until) st.open.delete(start);
        st.closed.minute = until;
      });
    }
    const stored = this.deps.aggregates.upsert(records);
    for (const fn of advance) fn();
    return stored;
  }

  /** Hours whose minutes are all closed, from the stored minute records; days likewise from hours. */
  private closeParents(kind: 'hour' | 'day'): StoredAggregate[] {
    const child: PeriodKind = kind === 'hour' ? 'minute' : 'hour';
    const records: AggregateRecord[] = [];
    const advance: (() => void)[] = [];
    for (const st of this.states.values()) {
      let at = st.closed[kind];
      for (;;) {
        const p: Period = this.calendar.periodOf(kind, at);
        if (p.end > st.closed[child]) break;
        const children = this.deps.aggregates.byRange(st.spec, child, p.start, p.end);
        const expected = expectedCount(this.calendar, this.skipped, p, st.spec.sampleEveryMs);
        const rules = { minValid: this.minValid(kind, st), flagShare: this.deps.rules.flagShare };
        records.push(parentRecord(st.spec, p, children, expected, rules));
        at = p.end;
      }
      const until = at;
      advance.push(() => {
        st.closed[kind] = until;
      });
    }
    const stored = this.deps.aggregates.upsert(records);
    for (const fn of advance) fn();
    return stored;
  }

  private minValid(kind: PeriodKind, st: ChannelState): number {
    return minValidCount(kind, this.deps.rules, st.spec.sampleEveryMs);
  }

  /** A channel's first period boundary: everything starts at the minute (hour, day) containing `ts`. */
  private originate(st: ChannelState, ts: number): void {
    st.closed = {
      minute: this.calendar.startOf('minute', ts),
      hour: this.calendar.startOf('hour', ts),
      day: this.calendar.startOf('day', ts),
    };
  }

  /** After a long outage only the last maxCatchUpMs are produced: an outage of months is not 100k records. */
  private capCatchUp(st: ChannelState, now: number): void {
    const earliest = now - this.maxCatchUpMs;
    if (st.closed.minute >= earliest) return;
    this.deps.log.warn(
      { device: st.spec.device, channel: st.spec.channel, from: st.closed.minute, to: earliest },
      'aggregation skips periods older than its catch-up limit',
    );
    const minute = this.calendar.startOf('minute', earliest);
    for (const start of st.open.keys()) if (start < minute) st.open.delete(start);
    st.closed.minute = minute;
    st.closed.hour = Math.max(st.closed.hour, this.calendar.startOf('hour', minute));
    st.closed.day = Math.max(st.closed.day, this.calendar.startOf('day', minute));
  }
}

function keyOf(c: { device: string; channel: string }): string {
  return `${c.device}\u0000${c.channel}`;
}
