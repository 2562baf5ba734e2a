import { describe, expect, it } from 'vitest';
import { createQnGenerator } from '../../../drivers/hj212/qn.js';
import { formatHjTime, parseHjTime } from '../../../drivers/hj212/time.js';

describe('QN', () => {
  it('is yyyyMMddHHmmssSSS in Beijing time by default', () => {
    const qn = createQnGenerator({ clock: { now: () => Date.UTC(2024, 5, 1, 0, 58, 57, 223) } });
    expect(qn.next()).toBe('20240601085857223');
  });

  it('takes a time zone', () => {
    const qn = createQnGenerator({ clock: { now: () => Date.UTC(2024, 0, 1, 0, 0, 0, 5) }, timeZone: 'UTC' });
    expect(qn.next()).toBe('20240101000000005');
  });

  it('never repeats within the same millisecond, nor after a small step back', () => {
    let now = Date.UTC(2024, 5, 1, 0, 0, 0, 999);
    const qn = createQnGenerator({ clock: { now: () => now } });
    const seen = [qn.next(), qn.next(), qn.next()];
    expect(seen).toEqual(['20240601080000999', '20240601080001000', '20240601080001001']);
    now -= 200;
    seen.push(qn.next());
    expect(new Set(seen).size).toBe(4);
    expect(seen[3]).toBe('20240601080001002');
  });

  it('follows a large step back of the wall clock (time set by the platform)', () => {
    let now = Date.UTC(2099, 0, 1);
    const qn = createQnGenerator({ clock: { now: () => now }, timeZone: 'UTC' });
    qn.next();
    now = Date.UTC(2024, 5, 1);
    expect(qn.next()).toBe('20240601000000000');
  });
});

describe('HJ 212 local times', () => {
  it('formats and parses yyyyMMddHHmmss in the station zone', () => {
    const t = Date.UTC(2024, 11, 31, 16, 30, 5);
    expect(formatHjTime(t)).toBe('20250101003005');
    expect(parseHjTime('20250101003005')).toBe(t);
    expect(parseHjTime('20250101003005', 'UTC')).toBe(Date.UTC(2025, 0, 1, 0, 30, 5));
  });

  it('refuses impossible times', () => {
    for (const bad of [
      '20240230000000',
      '20241301000000',
      '20240101240000',
      '2024010100000',
      'x0240101000000',
    ]) {
      expect(parseHjTime(bad)).toBeUndefined();
    }
  });
});
