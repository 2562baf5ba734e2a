import { describe, expect, it } from 'vitest';
import type { FacilityConfig } from '../../../agent/config/facilitySchema.js';
import type { StoredReading } from '../../../agent/core/reading.js';
import { type FacilityAlarmEvent, openAlarms } from '../../../agent/facilities/facilityEvents.js';
import { FacilityMonitor } from '../../../agent/facilities/facilityMonitor.js';

const S = 1000;
const facility = (
  f: Partial<FacilityConfig> & Pick<FacilityConfig, 'id' | 'role' | 'power'>,
): FacilityConfig => ({
  threshold: 5,
  hysteresis: 0,
  minDuration: 0,
  ...f,
});
const FACILITIES = [
  facility({
    id: 'line',
    role: 'production',
    power: [{ device: 'm', channel: 'line' }],
    requires: ['fan', 'pump'],
    delay: 30 * S,
  }),
  facility({ id: 'fan', role: 'treatment', power: [{ device: 'm', channel: 'fan' }] }),
  facility({
    id: 'pump',
    role: 'treatment',
    power: [
      { device: 'm', channel: 'p1' },
      { device: 'm', channel: 'p2' },
    ],
  }),
];

let seq = 0;
const reading = (s: number, channel: string, value: number | null): StoredReading => ({
  seq: ++seq,
  ts: s * S,
  device: 'm',
  channel,
  code: null,
  value,
  unit: 'kW',
  flag: value === null ? 'B' : 'N',
});
/** One poll of the meter device at `s` seconds. */
const poll = (s: number, v: { line: number; fan: number; p1: number; p2: number }) =>
  (['line', 'fan', 'p1', 'p2'] as const).map((ch) => reading(s, ch, v[ch]));

function monitor() {
  const events: FacilityAlarmEvent[] = [];
  const m = new FacilityMonitor({
    facilities: FACILITIES,
    intervalOf: () => 10 * S,
    record: (e) => events.push(e),
  });
  return { m, events };
}

describe('facility monitor', () => {
  it('sums power channels, one alarm per stopped treatment, run-state and alarm readings', () => {
    const { m, events } = monitor();
    m.ingest(poll(0, { line: 20, fan: 6, p1: 3, p2: 3 }));
    expect(m.status().map((f) => [f.id, f.state, f.power])).toEqual([
      ['line', 'running', 20],
      ['fan', 'running', 6],
      ['pump', 'running', 6], // 3 + 3 over the threshold of 5
    ]);
    m.ingest(poll(10, { line: 20, fan: 0, p1: 3, p2: 1 }));
    m.ingest(poll(30, { line: 20, fan: 0, p1: 3, p2: 1 }));
    expect(events).toEqual([]);
    const derived = m.ingest(poll(40, { line: 20, fan: 0, p1: 3, p2: 1 }));
    expect(events.map((e) => [e.kind, e.treatment, e.since])).toEqual([
      ['facility-alarm-start', 'fan', 10 * S],
      ['facility-alarm-start', 'pump', 10 * S],
    ]);
    expect(events[0]).toMatchObject({
      production: 'line',
      productionPower: 20,
      treatmentPower: 0,
      fault: 'stopped',
    });
    expect(derived.map((r) => `${r.device}/${r.channel}=${r.value}@${r.ts / S}`)).toEqual([
      'facilities/line=1@40',
      'facility-alarms/line=1@40',
      'facilities/fan=0@40',
      'facilities/pump=0@40', // one per instant, however many channels are summed
    ]);
    expect(m.status()[0]!.alarms).toEqual([
      { treatment: 'fan', since: 10 * S, fault: 'stopped' },
      { treatment: 'pump', since: 10 * S, fault: 'stopped' },
    ]);
    m.ingest(poll(50, { line: 20, fan: 7, p1: 3, p2: 1 }));
    expect(events.slice(2).map((e) => [e.kind, e.treatment])).toEqual([['facility-alarm-end', 'fan']]);
    m.ingest(poll(60, { line: 0, fan: 7, p1: 3, p2: 1 }));
    expect(events.slice(3)).toEqual([
      expect.objectContaining({
        kind: 'facility-alarm-end',
        treatment: 'pump',
        reason: 'production-stopped',
      }),
    ]);
  });

  it('a missing channel of a sum makes the state unknown; tick() makes it unknown without readings', () => {
    const { m } = monitor();
    m.ingest(poll(0, { line: 20, fan: 6, p1: 3, p2: 3 }));
    // One missed sample is no proof of anything: the state holds until unknownAfter (3 intervals).
    const derived = m.ingest([reading(10, 'p1', null)]);
    expect(derived).toEqual([expect.objectContaining({ channel: 'pump', value: 1, flag: 'N' })]);
    m.tick(29 * S);
    expect(m.status()[1]!.state).toBe('running');
    m.tick(30 * S); // 3 intervals of 10 s
    expect(m.status().map((f) => f.state)).toEqual(['unknown', 'unknown', 'unknown']);
  });

  it('an alarm open at a restart is taken over from the stored events: no second start', () => {
    const first = monitor();
    first.m.ingest(poll(0, { line: 20, fan: 0, p1: 3, p2: 3 }));
    first.m.ingest(poll(20, { line: 20, fan: 0, p1: 3, p2: 3 }));
    first.m.tick(30 * S);
    expect(first.events.map((e) => e.kind)).toEqual(['facility-alarm-start']);
    const stored = first.events.map((event, i) => ({ id: i + 1, ts: 30 * S, event }));
    const again = monitor();
    again.m.restore(openAlarms(stored));
    expect(again.m.status()[0]!.alarms).toEqual([{ treatment: 'fan', since: 0, fault: 'stopped' }]);
    again.m.ingest(poll(100, { line: 20, fan: 0, p1: 3, p2: 3 }));
    again.m.tick(200 * S);
    expect(again.events).toEqual([]);
    again.m.ingest(poll(210, { line: 20, fan: 9, p1: 3, p2: 3 }));
    expect(again.events).toEqual([expect.objectContaining({ kind: 'facility-alarm-end', since: 0 })]);
    // A pair that is no longer configured is ended at once.
    const gone = new FacilityMonitor({
      facilities: FACILITIES.slice(1),
      intervalOf: () => 10 * S,
      record: (e) => again.events.push(e),
    });
    gone.restore(openAlarms(stored));
    expect(again.events.at(-1)).toMatchObject({
      kind: 'facility-alarm-end',
      production: 'line',
      reason: 'config-changed',
    });
  });
});
