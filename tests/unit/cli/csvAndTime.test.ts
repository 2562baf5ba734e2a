import { describe, expect, it } from 'vitest';
import { csvField, csvLine, parseTimeArg, stationTimeText, ZonedTime } from '../../../agent/cli/csv.js';

describe('CSV quoting (RFC 4180)', () => {
  it('leaves plain fields alone and quotes commas, quotes, CR and LF', () => {
    expect(csvField('cod')).toBe('cod');
    expect(csvField('mg/L')).toBe('mg/L');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField('')).toBe('');
  });

  it('writes null as an empty field and numbers in their shortest exact form', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField(-12.5)).toBe('-12.5');
    expect(csvField(1e-7)).toBe('1e-7');
  });

  it('ends lines with CRLF', () => {
    expect(csvLine(['a', 1, null, 'x,y'])).toBe('a,1,,"x,y"\r\n');
  });
});

describe('station time', () => {
  const shanghai = new ZonedTime('Asia/Shanghai');
  const berlin = new ZonedTime('Europe/Berlin');

  it('formats local time with its offset', () => {
    expect(shanghai.format(Date.UTC(2026, 10, 29, 0, 0, 0, 250))).toBe('2026-11-29T08:00:00.250+08:00');
    expect(berlin.format(Date.UTC(2026, 6, 1, 12, 0))).toBe('2026-07-01T14:00:00.000+02:00');
    expect(berlin.format(Date.UTC(2026, 0, 1, 12, 0))).toBe('2026-01-01T13:00:00.000+01:00');
    expect(new ZonedTime('America/St_Johns').format(Date.UTC(2026, 0, 1, 12, 0))).toBe(
      '2026-01-01T08:30:00.000-03:30',
    );
  });

  it('writes station time for Excel: yyyy-MM-dd HH:mm:ss, no T, no offset, milliseconds dropped', () => {
    expect(stationTimeText(shanghai, Date.UTC(2026, 10, 29, 0, 0, 0, 999))).toBe('2026-11-29 08:00:00');
    expect(stationTimeText(shanghai, Date.UTC(2026, 11, 31, 16, 0, 0))).toBe('2027-01-01 00:00:00');
    expect(stationTimeText(berlin, Date.UTC(2026, 6, 1, 12, 0, 5))).toBe('2026-07-01 14:00:05');
  });

  it('tells the two 02:30 apart when the clocks go back', () => {
    // 2026-10-25 in Berlin: 03:00 CEST becomes 02:00 CET.
    expect(berlin.format(Date.UTC(2026, 9, 25, 0, 30))).toBe('2026-10-25T02:30:00.000+02:00');
    expect(berlin.format(Date.UTC(2026, 9, 25, 1, 30))).toBe('2026-10-25T02:30:00.000+01:00');
  });

  it('parses a date or date-time without a zone as station time', () => {
    expect(parseTimeArg('2026-11-01', shanghai)).toBe(Date.UTC(2026, 9, 31, 16, 0));
    expect(parseTimeArg('2026-11-01T08:30', shanghai)).toBe(Date.UTC(2026, 10, 1, 0, 30));
    expect(parseTimeArg('2026-11-01 08:30:15.5', shanghai)).toBe(Date.UTC(2026, 10, 1, 0, 30, 15, 500));
    expect(parseTimeArg('2026-07-01', berlin)).toBe(Date.UTC(2026, 5, 30, 22, 0));
  });

  it('parses a time with Z or an offset as that instant', () => {
    expect(parseTimeArg('2026-11-01T00:00:00Z', shanghai)).toBe(Date.UTC(2026, 10, 1));
    expect(parseTimeArg('2026-11-01T08:00:00+08:00', berlin)).toBe(Date.UTC(2026, 10, 1));
  });

  it('refuses what is not a time, naming the accepted forms', () => {
    for (const bad of ['yesterday', '2026-13-01', '2026-02-30', '2026-11-01T25:00', '1700000000']) {
      expect(() => parseTimeArg(bad, shanghai), bad).toThrow(/ISO 8601|not a valid date/);
    }
  });
});
