import { getTasks } from 'node-cron';
import { afterEach, describe, expect, it } from 'vitest';
import { MaintenanceSchedule, SettlingTracker } from '../../../agent/quality/calibrationWindows.js';
import { resolveFlag } from '../../../agent/quality/flagResolution.js';

const MIN = 60_000;
/** Shanghai local time (UTC+8) as epoch ms. */
const cst = (d: number, h: number, m: number, s = 0) => Date.UTC(2026, 10, d, h - 8, m, s);

describe('MaintenanceSchedule', () => {
  let schedule: MaintenanceSchedule | undefined;
  afterEach(() => schedule?.close());

  it('flags a daily zero/span at 02:00 station time for 20 min, then settling for 5 min', () => {
    schedule = new MaintenanceSchedule(
      { settling: 5 * MIN, schedules: [{ cron: '0 2 * * *', duration: 20 * MIN, flag: 'C' }] },
      'Asia/Shanghai',
    );
    const at = (ts: number) => schedule!.windowAt('nutrient', ts);
    expect(at(cst(28, 1, 59, 59))).toBeNull();
    expect(at(cst(28, 2, 0))).toEqual({ flag: 'C', source: 'schedule' });
    expect(at(cst(28, 2, 19, 59))).toEqual({ flag: 'C', source: 'schedule' });
    expect(at(cst(28, 2, 20))).toEqual({ flag: 'C', source: 'settling' });
    expect(at(cst(28, 2, 24, 59))).toEqual({ flag: 'C', source: 'settling' });
    expect(at(cst(28, 2, 25))).toBeNull();
    // 02:00 UTC is 10:00 in Shanghai: the expression is read in station time, not UTC.
    expect(at(Date.UTC(2026, 10, 28, 2, 5))).toBeNull();
    // the next day again; asked out of order (a clock stepped back) it answers the same
    expect(at(cst(29, 2, 10))).toEqual({ flag: 'C', source: 'schedule' });
    expect(at(cst(28, 2, 10))).toEqual({ flag: 'C', source: 'schedule' });
  });

  it('applies a schedule to its devices only; the first matching schedule wins', () => {
    schedule = new MaintenanceSchedule(
      {
        settling: 0,
        schedules: [
          { cron: '0 9 * * 1', duration: 60 * MIN, flag: 'M', devices: ['sonde'] }, // Mondays 09:00
          { cron: '30 9 * * *', duration: 10 * MIN, flag: 'C' },
        ],
      },
      'Asia/Shanghai',
    );
    // 2026-11-30 is a Monday
    expect(schedule.windowAt('sonde', cst(30, 9, 35))).toEqual({ flag: 'M', source: 'schedule' });
    expect(schedule.windowAt('nutrient', cst(30, 9, 35))).toEqual({ flag: 'C', source: 'schedule' });
    expect(schedule.windowAt('nutrient', cst(30, 9, 10))).toBeNull();
    expect(schedule.windowAt('sonde', cst(29, 9, 10))).toBeNull(); // Sunday
    expect(schedule.windowAt('sonde', cst(30, 9, 40, 1))).toEqual({ flag: 'M', source: 'schedule' });
    expect(schedule.windowAt('nutrient', cst(30, 9, 40))).toBeNull(); // settling 0
  });

  it('takes a per-schedule settling and 6-field (seconds) expressions', () => {
    schedule = new MaintenanceSchedule(
      {
        settling: 5 * MIN,
        schedules: [{ cron: '30 0 3 * * *', duration: 10_000, flag: 'C', settling: 5000 }],
      },
      'Asia/Shanghai',
    );
    expect(schedule.windowAt('x', cst(28, 3, 0, 29))).toBeNull();
    expect(schedule.windowAt('x', cst(28, 3, 0, 30))).toEqual({ flag: 'C', source: 'schedule' });
    expect(schedule.windowAt('x', cst(28, 3, 0, 40))).toEqual({ flag: 'C', source: 'settling' });
    expect(schedule.windowAt('x', cst(28, 3, 0, 45))).toBeNull();
  });

  it('never starts a node-cron timer, and close() leaves nothing in node-cron', () => {
    const before = getTasks().size;
    const s = new MaintenanceSchedule(
      { settling: 0, schedules: [{ cron: '* * * * *', duration: MIN, flag: 'C' }] },
      'Asia/Shanghai',
    );
    expect([...getTasks().values()].every((t) => t.getStatus() === 'stopped')).toBe(true);
    s.close();
    expect(getTasks().size).toBe(before);
  });
});

describe('SettlingTracker', () => {
  it('keeps the flag of a C/M stretch for the settling time after its last reading', () => {
    const t = new SettlingTracker(5 * MIN);
    const t0 = cst(28, 8, 0);
    for (let i = 0; i <= 5; i++) t.observe(t0 + i * 10_000, 'C');
    t.observe(t0 + 60_000, 'N');
    expect(t.windowAt(t0 + 50_000)).toBeNull(); // during the stretch: the instrument's own C applies
    expect(t.windowAt(t0 + 60_000)).toEqual({ flag: 'C', source: 'settling' });
    expect(t.windowAt(t0 + 50_000 + 5 * MIN)).toEqual({ flag: 'C', source: 'settling' });
    expect(t.windowAt(t0 + 50_000 + 5 * MIN + 1)).toBeNull();
    t.observe(t0 + 10 * MIN, 'M');
    expect(t.windowAt(t0 + 11 * MIN)).toEqual({ flag: 'M', source: 'settling' });
  });

  it('ignores other flags', () => {
    const t = new SettlingTracker(5 * MIN);
    t.observe(0, 'D');
    t.observe(1, 'B');
    expect(t.windowAt(2)).toBeNull();
  });
});

describe('resolveFlag (precedence: instrument, window, T, N)', () => {
  const C = { flag: 'C', source: 'schedule' } as const;
  const M = { flag: 'M', source: 'settling' } as const;
  it.each([
    ['N', null, false, 'N'],
    ['N', null, true, 'T'],
    ['N', C, true, 'C'], // a scheduled calibration outranks over-range
    ['N', M, false, 'M'],
    ['D', C, false, 'D'], // a fault during a scheduled calibration is still a fault
    ['B', C, true, 'B'],
    ['F', null, true, 'F'],
    ['C', M, false, 'C'],
    ['S', null, false, 'S'],
  ] as const)('instrument %s, window %j, over range %s -> %s', (instrument, window, overRange, expected) => {
    expect(resolveFlag({ instrument, window, overRange })).toBe(expected);
  });
});
