import { describe, expect, it } from 'vitest';
import {
  formatOtherOrders,
  formatValue,
  hasWordOrder,
  otherOrders,
  plausibleFloat,
  suggestOrder,
} from '../../../agent/cli/wordOrderHints.js';
import { WORD_ORDERS } from '../../../agent/config/schema.js';
import { decodeValue, encodeValue } from '../../../drivers/modbus/decode.js';

describe('otherOrders', () => {
  it('gives the value in the three other orders, scale and offset applied', () => {
    const words = encodeValue(25.5, 'float32', 'CDAB'); // [0x0000, 0x41CC]
    expect(words).toEqual([0x0000, 0x41cc]);
    const others = otherOrders(words, 'float32', 'ABCD', 2, 1);
    expect(others.map((o) => o.order)).toEqual(['BADC', 'CDAB', 'DCBA']);
    expect(others.find((o) => o.order === 'CDAB')!.value).toBe(25.5 * 2 + 1);
  });

  it('works for 32-bit integers and 64-bit values', () => {
    const words = [0x1234, 0x5678];
    const byOrder = Object.fromEntries(otherOrders(words, 'uint32', 'ABCD').map((o) => [o.order, o.value]));
    expect(byOrder).toEqual({ BADC: 0x34127856, CDAB: 0x56781234, DCBA: 0x78563412 });
    const u64 = encodeValue(123456789, 'uint64', 'DCBA');
    expect(otherOrders(u64, 'uint64', 'ABCD').find((o) => o.order === 'DCBA')!.value).toBe(123456789);
  });

  it('is empty for one-register types, bits and short reads', () => {
    expect(otherOrders([0x1234], 'int16', 'ABCD')).toEqual([]);
    expect(otherOrders([1], 'bool')).toEqual([]);
    expect(otherOrders([0x1234], 'float32')).toEqual([]);
    expect(hasWordOrder('int16')).toBe(false);
    expect(hasWordOrder('float64')).toBe(true);
  });

  it('round-trips: whatever order wrote the value, exactly one other order reads it back', () => {
    for (const written of WORD_ORDERS) {
      for (const configured of WORD_ORDERS.filter((o) => o !== written)) {
        const words = encodeValue(-1234.5, 'float32', written);
        const hits = otherOrders(words, 'float32', configured).filter((o) => o.value === -1234.5);
        expect(hits.map((h) => h.order)).toEqual([written]);
      }
    }
  });
});

describe('formatting', () => {
  it('shows a value as stored: a decoded float32 as its shortest decimal, integers as they are', () => {
    expect(formatValue(decodeValue(encodeValue(23.456, 'float32'), 'float32'))).toBe('23.456');
    expect(formatValue(decodeValue(encodeValue(17.510412, 'float32'), 'float32'))).toBe('17.510412');
    expect(formatValue(12345)).toBe('12345');
    expect(formatValue(null)).toBe('—');
    expect(formatValue(Number.NaN)).toBe('NaN');
    // A wrong order's denormal, as decoded: short, and an exponent is fine for a technician.
    expect(formatValue(decodeValue([0x0000, 0x41cc], 'float32'))).toBe('2.3603e-41');
  });

  it('scales other orders without binary noise (3 × 0.1 is 0.3)', () => {
    const words = encodeValue(3, 'int32', 'CDAB');
    expect(otherOrders(words, 'int32', 'ABCD', 0.1).find((o) => o.order === 'CDAB')!.value).toBe(0.3);
    const f = encodeValue(7.6, 'float32', 'CDAB');
    expect(otherOrders(f, 'float32', 'ABCD', 1.8, 32).find((o) => o.order === 'CDAB')!.value).toBe(45.68);
  });

  it('lists the other orders as ORDER=value', () => {
    const words = encodeValue(25.5, 'float32', 'CDAB');
    expect(formatOtherOrders(otherOrders(words, 'float32', 'ABCD'))).toMatch(
      /^BADC=\S+, CDAB=25\.5, DCBA=\S+$/,
    );
  });
});

describe('suggestOrder', () => {
  it('names the word-swapped order when the configured one gives a denormal', () => {
    expect(suggestOrder(encodeValue(25.5, 'float32', 'CDAB'), 'float32', 'ABCD')).toBe('CDAB');
    expect(suggestOrder(encodeValue(23.456, 'float32', 'CDAB'), 'float32', 'ABCD')).toBe('CDAB');
    expect(suggestOrder(encodeValue(7.25, 'float32', 'ABCD'), 'float32', 'CDAB')).toBe('ABCD');
  });

  it('says nothing when the configured value is plausible, for integers, or when unclear', () => {
    expect(suggestOrder(encodeValue(25.5, 'float32', 'CDAB'), 'float32', 'CDAB')).toBeUndefined();
    expect(suggestOrder(encodeValue(0, 'float32'), 'float32', 'ABCD')).toBeUndefined();
    expect(suggestOrder(encodeValue(1234, 'uint32', 'CDAB'), 'uint32', 'ABCD')).toBeUndefined();
    // NaN in every order: nothing plausible to suggest.
    expect(suggestOrder([0xffff, 0xffff], 'float32', 'ABCD')).toBeUndefined();
  });

  it('falls back to a byte-swapped order when it is the only plausible one', () => {
    const words = encodeValue(25.5, 'float32', 'BADC'); // [0xCC41, 0x0000]
    expect(suggestOrder(words, 'float32', 'ABCD')).toBe('BADC');
  });

  it('plausibleFloat', () => {
    expect(plausibleFloat(0)).toBe(true);
    expect(plausibleFloat(-0.0004)).toBe(true);
    expect(plausibleFloat(2.3e-41)).toBe(false);
    expect(plausibleFloat(5e12)).toBe(false);
    expect(plausibleFloat(Number.POSITIVE_INFINITY)).toBe(false);
  });
});
