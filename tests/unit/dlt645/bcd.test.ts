import { describe, expect, it } from 'vitest';
import { bcdMaximum, decodeBcd, encodeBcd, showBytes } from '../../../drivers/dlt645/bcd.js';
import {
  dataItem,
  decodeIdentifier,
  encodeIdentifier,
  formatIdentifier,
  parseIdentifier,
} from '../../../drivers/dlt645/dataIdentifiers.js';
import { decodeMeterErrorByte } from '../../../drivers/dlt645/meterErrors.js';

const b = (text: string) => Uint8Array.from(text.split(' ').map((h) => Number.parseInt(h, 16)));

describe('BCD values', () => {
  it('decodes digits lowest byte first with fixed decimals', () => {
    // voltage XXX.X: bytes 01 22 → digits 2201 → 220.1
    expect(decodeBcd(b('01 22'), { bytes: 2, decimals: 1, signed: false })).toEqual({
      ok: true,
      value: 220.1,
    });
    // energy XXXXXX.XX: 56 34 12 00 → 00123456 → 1234.56
    expect(decodeBcd(b('56 34 12 00'), { bytes: 4, decimals: 2, signed: false })).toEqual({
      ok: true,
      value: 1234.56,
    });
  });

  it('reads the sign from the top bit of the most significant byte', () => {
    const current = { bytes: 3, decimals: 3, signed: true };
    // 34 12 80: top byte 80 → sign set, 00 left → digits 001234 → -1.234
    expect(decodeBcd(b('34 12 80'), current)).toEqual({ ok: true, value: -1.234 });
    expect(decodeBcd(b('34 12 00'), current)).toEqual({ ok: true, value: 1.234 });
    // power factor X.XXX: 00 85 → sign, 0500 → -0.5
    expect(decodeBcd(b('00 85'), { bytes: 2, decimals: 3, signed: true })).toEqual({ ok: true, value: -0.5 });
    // negative zero is zero
    expect(decodeBcd(b('00 80'), { bytes: 2, decimals: 3, signed: true })).toEqual({ ok: true, value: 0 });
  });

  it('refuses nibbles above 9 (FF = not available); an unsigned value has no sign bit', () => {
    expect(decodeBcd(b('FF FF'), { bytes: 2, decimals: 1, signed: false }).ok).toBe(false);
    expect(decodeBcd(b('34 1A 00'), { bytes: 3, decimals: 3, signed: true }).ok).toBe(false);
    // unsigned: 80 is the digits 8 and 0 → 801234 → 801.234
    expect(decodeBcd(b('34 12 80'), { bytes: 3, decimals: 3, signed: false })).toEqual({
      ok: true,
      value: 801.234,
    });
    expect(decodeBcd(b('34 12'), { bytes: 3, decimals: 3, signed: true })).toEqual({
      ok: false,
      reason: 'expected 3 bytes, got 2',
    });
  });

  it('encodes what it decodes, and refuses what does not fit', () => {
    expect(showBytes(encodeBcd(-1.234, { bytes: 3, decimals: 3, signed: true }))).toBe('34 12 80');
    expect(showBytes(encodeBcd(1234.56, { bytes: 4, decimals: 2, signed: false }))).toBe('56 34 12 00');
    expect(bcdMaximum({ bytes: 3, decimals: 4, signed: true })).toBe(79.9999);
    expect(() => encodeBcd(80, { bytes: 3, decimals: 4, signed: true })).toThrow(RangeError);
    // rounds to 80.0000: would set the sign bit, so it does not fit
    expect(() => encodeBcd(79.99995, { bytes: 3, decimals: 4, signed: true })).toThrow(RangeError);
    expect(() => encodeBcd(-1, { bytes: 2, decimals: 1, signed: false })).toThrow(RangeError);
  });
});

describe('data identifiers', () => {
  it('go out lowest byte first: 2007 four bytes, 1997 two', () => {
    expect(showBytes(encodeIdentifier('2007', 0x0201ff00))).toBe('00 FF 01 02');
    expect(showBytes(encodeIdentifier('1997', 0xb611))).toBe('11 B6');
    expect(decodeIdentifier(b('00 FF 01 02'))).toBe(0x0201ff00);
    expect(parseIdentifier('2007', '0201FF00')).toBe(0x0201ff00);
    expect(parseIdentifier('2007', 'B611')).toBeUndefined();
    expect(formatIdentifier('2007', 0x00010000)).toBe('00010000');
  });

  it('know block identifiers as several values of one layout', () => {
    expect(dataItem('2007', 0x0201ff00)).toMatchObject({
      count: 3,
      unit: 'V',
      layout: { bytes: 2, decimals: 1 },
    });
    expect(dataItem('2007', 0x0203ff00)).toMatchObject({ count: 4, unit: 'kW' });
    expect(dataItem('1997', 0xb630)).toMatchObject({ count: 1, layout: { bytes: 3, decimals: 4 } });
  });
});

describe('error byte', () => {
  it('names each flag (2007 and 1997 differ)', () => {
    expect(decodeMeterErrorByte(0x02)).toEqual(['no-such-data']);
    expect(decodeMeterErrorByte(0x05)).toEqual(['other', 'unauthorised']);
    expect(decodeMeterErrorByte(0x80)).toEqual(['bit7']);
    expect(decodeMeterErrorByte(0x02, '1997')).toEqual(['wrong-identifier']);
    expect(decodeMeterErrorByte(0x0c, '1997')).toEqual(['wrong-password', 'bit3']);
  });
});
