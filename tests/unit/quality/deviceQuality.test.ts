import { afterEach, describe, expect, it } from 'vitest';
import type { DataFlag, NewReading, StoredReading } from '../../../agent/core/reading.js';
import { MaintenanceSchedule } from '../../../agent/quality/calibrationWindows.js';
import { DeviceQuality } from '../../../agent/quality/deviceQuality.js';

const MIN = 60_000;
const cst = (h: number, m: number, s = 0) => Date.UTC(2026, 10, 28, h - 8, m, s);

const device = {
  id: 'nutrient',
  interval: 10_000,
  channels: [
    {
      id: 'cod',
      qc: {
        grossRange: { fail: [0, 300] as [number, number] },
        measuringRange: [0, 200] as [number, number],
        spike: { suspect: 5, fail: 20 },
      },
    },
  ],
};

function poll(ts: number, value: number | null, flag: DataFlag = 'N'): NewReading[] {
  return [{ ts, device: 'nutrient', channel: 'cod', code: 'w01018', value, unit: 'mg/L', flag }];
}

describe('DeviceQuality', () => {
  let schedule: MaintenanceSchedule;
  afterEach(() => schedule.close());

  function create(): DeviceQuality {
    schedule = new MaintenanceSchedule(
      { settling: 5 * MIN, schedules: [{ cron: '0 2 * * *', duration: 20 * MIN, flag: 'C' }] },
      'Asia/Shanghai',
    );
    return new DeviceQuality({ device, schedule, settlingMs: 5 * MIN });
  }

  it('keeps the raw value, adds state and check results, and resolves the flag', () => {
    const q = create();
    const apply = (ts: number, value: number | null, flag: DataFlag = 'N', state: number | null = 0) =>
      q.apply(poll(ts, value, flag), { state })[0]!;

    for (let i = 0; i < 3; i++) apply(cst(1, 59, 20 + i * 10), 25);
    expect(apply(cst(1, 59, 50), 25)).toMatchObject({
      value: 25,
      flag: 'N',
      state: 0,
      qc: { gross: 1, range: 1, spike: 1, roc: 2, flat: 2 },
    });
    // scheduled zero/span: flagged C, value untouched, not compared with the process
    expect(apply(cst(2, 0), 180)).toMatchObject({ value: 180, flag: 'C', qc: { gross: 1, spike: 2 } });
    // settling after the window
    expect(apply(cst(2, 22), 26).flag).toBe('C');
    // after settling: N again, and no false spike against the span value (the stretch restarted)
    expect(apply(cst(2, 26), 26)).toMatchObject({ flag: 'N', qc: { spike: 2 } });
    // above the measuring range: T, range suspect, gross range pass
    expect(apply(cst(8, 0), 250)).toMatchObject({ value: 250, flag: 'T', qc: { gross: 1, range: 3 } });
    // the instrument's own calibration, then its settling
    expect(apply(cst(9, 0), 30, 'C', 1).flag).toBe('C');
    expect(apply(cst(9, 0, 10), 30, 'N', 0)).toMatchObject({ flag: 'C', state: 0 });
    expect(apply(cst(9, 5, 10), 30, 'N', 0).flag).toBe('N');
    // no answer: B, every check missing
    expect(apply(cst(9, 6), null, 'B', null)).toMatchObject({
      value: null,
      flag: 'B',
      state: null,
      qc: { gross: 9, range: 9, spike: 9, roc: 9, flat: 9 },
    });
  });

  it('passes readings of unknown channels through unchanged', () => {
    const q = create();
    const r: NewReading = { ...poll(cst(8, 0), 1)[0]!, channel: 'other' };
    expect(q.apply([r], { state: 3 })).toEqual([r]);
  });

  it('continues after a restart as it would have without one (prime)', () => {
    const times = Array.from({ length: 12 }, (_, i) => cst(10, 0, i * 10));
    const values = [20, 20, 21, 20, 20, 40, 20, 21, 22, 20, 60, 20];
    const whole = create();
    const expected = times.map((t, i) => whole.apply(poll(t, values[i]!), { state: 0 })[0]);
    schedule.close();

    const first = create();
    const stored: StoredReading[] = times
      .slice(0, 6)
      .map((t, i) => ({ ...first.apply(poll(t, values[i]!), { state: 0 })[0]!, seq: i + 1 }));
    const restarted = create();
    restarted.prime(stored);
    const after = times.slice(6).map((t, i) => restarted.apply(poll(t, values[i + 6]!), { state: 0 })[0]);
    expect(after).toEqual(expected.slice(6));
    expect(restarted.lookbackMs).toBeGreaterThanOrEqual(5 * MIN);
  });
});
