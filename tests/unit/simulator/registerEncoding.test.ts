import { describe, expect, it } from 'vitest';
import { encodeRaw, encodeValue, registerCount, toRaw } from '../../../scripts/simulator/registerEncoding.js';
import { decodeRaw, type NumType, type Order } from './modbusClient.js';

// Expected words are written out by hand from the definitions, not computed.
describe('simulator register encoding', () => {
  it('lays out a float32 in all four orders', () => {
    // 1.5f = 0x3FC00000
    expect(encodeRaw(1.5, 'float32', 'ABCD')).toEqual([0x3fc0, 0x0000]);
    expect(encodeRaw(1.5, 'float32', 'CDAB')).toEqual([0x0000, 0x3fc0]);
    expect(encodeRaw(1.5, 'float32', 'BADC')).toEqual([0xc03f, 0x0000]);
    expect(encodeRaw(1.5, 'float32', 'DCBA')).toEqual([0x0000, 0xc03f]);
  });

  it('lays out 32-bit integers in all four orders', () => {
    // 0x11223344
    expect(encodeRaw(0x11223344, 'uint32', 'ABCD')).toEqual([0x1122, 0x3344]);
    expect(encodeRaw(0x11223344, 'uint32', 'CDAB')).toEqual([0x3344, 0x1122]);
    expect(encodeRaw(0x11223344, 'uint32', 'BADC')).toEqual([0x2211, 0x4433]);
    expect(encodeRaw(0x11223344, 'uint32', 'DCBA')).toEqual([0x4433, 0x2211]);
    expect(encodeRaw(-2, 'int32', 'ABCD')).toEqual([0xffff, 0xfffe]);
    expect(encodeRaw(-2, 'int32', 'CDAB')).toEqual([0xfffe, 0xffff]);
  });

  it('reverses all four words of 64-bit types for CDAB and DCBA', () => {
    const v = Number(0x0001_0203_0405_0607n); // below 2^53, exact
    expect(encodeRaw(v, 'uint64', 'ABCD')).toEqual([0x0001, 0x0203, 0x0405, 0x0607]);
    expect(encodeRaw(v, 'uint64', 'CDAB')).toEqual([0x0607, 0x0405, 0x0203, 0x0001]);
    expect(encodeRaw(v, 'uint64', 'BADC')).toEqual([0x0100, 0x0302, 0x0504, 0x0706]);
    expect(encodeRaw(v, 'uint64', 'DCBA')).toEqual([0x0706, 0x0504, 0x0302, 0x0100]);
    // 1.0 = 0x3FF0000000000000
    expect(encodeRaw(1, 'float64', 'ABCD')).toEqual([0x3ff0, 0, 0, 0]);
    expect(encodeRaw(1, 'float64', 'DCBA')).toEqual([0, 0, 0, 0xf03f]);
    expect(encodeRaw(-1, 'int64', 'ABCD')).toEqual([0xffff, 0xffff, 0xffff, 0xffff]);
  });

  it('treats one register: ABCD = CDAB, BADC = DCBA (byte swap)', () => {
    expect(encodeRaw(0x1234, 'uint16', 'ABCD')).toEqual([0x1234]);
    expect(encodeRaw(0x1234, 'uint16', 'CDAB')).toEqual([0x1234]);
    expect(encodeRaw(0x1234, 'uint16', 'BADC')).toEqual([0x3412]);
    expect(encodeRaw(0x1234, 'uint16', 'DCBA')).toEqual([0x3412]);
    expect(encodeRaw(-1, 'int16')).toEqual([0xffff]);
  });

  it('stores raw = (value - offset) / scale, rounded for integers', () => {
    expect(toRaw(7.25, 'int16', 0.01)).toBe(725);
    expect(toRaw(7.254, 'int16', 0.01)).toBe(725);
    expect(toRaw(1.2, 'uint16', 0.001, -1)).toBe(2200);
    expect(toRaw(2.5, 'float32', 0.5)).toBe(5);
    expect(encodeValue(7.25, 'int16', 'ABCD', 0.01)).toEqual([725]);
    expect(() => toRaw(1, 'int16', 0)).toThrow(/scale/);
  });

  it('saturates integers at the type limits instead of wrapping', () => {
    expect(encodeRaw(70000, 'uint16')).toEqual([0xffff]);
    expect(encodeRaw(-5, 'uint16')).toEqual([0]);
    expect(encodeRaw(40000, 'int16')).toEqual([0x7fff]);
    expect(encodeRaw(-1, 'uint32')).toEqual([0, 0]);
    expect(encodeRaw(Number.NaN, 'int32')).toEqual([0, 0]);
    expect(encodeRaw(1e30, 'int64')).toEqual([0x7fff, 0xffff, 0xffff, 0xffff]);
  });

  it('round-trips through the test decoder for every type and order', () => {
    const cases: [NumType, number][] = [
      ['int16', -1234],
      ['uint16', 54321],
      ['int32', -123456789],
      ['uint32', 3456789012],
      ['float32', 22.5],
      ['int64', -9_007_199_254_740],
      ['uint64', 9_007_199_254_740],
      ['float64', 1234.5678],
    ];
    for (const order of ['ABCD', 'BADC', 'CDAB', 'DCBA'] as Order[]) {
      for (const [type, v] of cases) {
        const words = encodeRaw(v, type, order);
        expect(words).toHaveLength(registerCount(type));
        expect(decodeRaw(words, type, order), `${type} ${order}`).toBe(v);
      }
    }
  });
});
