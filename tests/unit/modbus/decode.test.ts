import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  REGISTER_TYPES,
  type RegisterType,
  WORD_ORDERS,
  type WordOrder,
} from '../../../agent/config/schema.js';
import { decodeValue, encodeValue, registerCount } from '../../../drivers/modbus/decode.js';

/** Golden vectors: registers as a device holds them, per order. Written out by hand, not by encodeValue. */
describe('decodeValue golden vectors', () => {
  // 32-bit value 0x12345678 with bytes A=12 B=34 C=56 D=78.
  const u32: Record<WordOrder, number[]> = {
    ABCD: [0x1234, 0x5678],
    CDAB: [0x5678, 0x1234],
    BADC: [0x3412, 0x7856],
    DCBA: [0x7856, 0x3412],
  };
  // 64-bit value 0x0102030405060708.
  const u64: Record<WordOrder, number[]> = {
    ABCD: [0x0102, 0x0304, 0x0506, 0x0708],
    CDAB: [0x0708, 0x0506, 0x0304, 0x0102],
    BADC: [0x0201, 0x0403, 0x0605, 0x0807],
    DCBA: [0x0807, 0x0605, 0x0403, 0x0201],
  };

  for (const order of WORD_ORDERS) {
    it(`uint32/int32 ${order}`, () => {
      expect(decodeValue(u32[order], 'uint32', order)).toBe(0x12345678);
      expect(decodeValue(u32[order], 'int32', order)).toBe(0x12345678);
    });

    it(`uint64/int64 ${order}`, () => {
      expect(decodeValue(u64[order], 'uint64', order)).toBe(Number(0x0102030405060708n));
      expect(decodeValue(u64[order], 'int64', order)).toBe(Number(0x0102030405060708n));
    });

    it(`float32 ${order}: 123.456 is 0x42F6E979`, () => {
      const regs = {
        ABCD: [0x42f6, 0xe979],
        CDAB: [0xe979, 0x42f6],
        BADC: [0xf642, 0x79e9],
        DCBA: [0x79e9, 0xf642],
      };
      expect(decodeValue(regs[order], 'float32', order)).toBe(123.456); // the decimal meant, not 123.45600128173828
    });

    it(`float64 ${order}: -2.5 is 0xC004000000000000`, () => {
      const regs = {
        ABCD: [0xc004, 0, 0, 0],
        CDAB: [0, 0, 0, 0xc004],
        BADC: [0x04c0, 0, 0, 0],
        DCBA: [0, 0, 0, 0x04c0],
      };
      expect(decodeValue(regs[order], 'float64', order)).toBe(-2.5);
    });
  }

  it('16-bit types: only the byte swap matters', () => {
    expect(decodeValue([0x1234], 'uint16', 'ABCD')).toBe(0x1234);
    expect(decodeValue([0x1234], 'uint16', 'CDAB')).toBe(0x1234);
    expect(decodeValue([0x1234], 'uint16', 'BADC')).toBe(0x3412);
    expect(decodeValue([0x1234], 'uint16', 'DCBA')).toBe(0x3412);
  });

  it('negative int16', () => {
    expect(decodeValue([0xffff], 'int16')).toBe(-1);
    expect(decodeValue([0x8000], 'int16')).toBe(-32768);
    expect(decodeValue([0xff85], 'int16')).toBe(-123);
    expect(decodeValue([0x85ff], 'int16', 'BADC')).toBe(-123);
    expect(decodeValue([0xffff], 'uint16')).toBe(65535);
  });

  it('int32 min and max, uint32 max', () => {
    expect(decodeValue([0x8000, 0x0000], 'int32')).toBe(-2147483648);
    expect(decodeValue([0x0000, 0x8000], 'int32', 'CDAB')).toBe(-2147483648);
    expect(decodeValue([0x7fff, 0xffff], 'int32')).toBe(2147483647);
    expect(decodeValue([0xffff, 0xffff], 'int32')).toBe(-1);
    expect(decodeValue([0xffff, 0xffff], 'uint32')).toBe(4294967295);
  });

  it('float32 NaN and ±Infinity', () => {
    expect(decodeValue([0x7fc0, 0x0000], 'float32')).toBeNaN();
    expect(decodeValue([0x7fa0, 0x0001], 'float32')).toBeNaN(); // a signalling NaN pattern
    expect(decodeValue([0x7f80, 0x0000], 'float32')).toBe(Number.POSITIVE_INFINITY);
    expect(decodeValue([0xff80, 0x0000], 'float32')).toBe(Number.NEGATIVE_INFINITY);
    expect(decodeValue([0x0000, 0xff80], 'float32', 'CDAB')).toBe(Number.NEGATIVE_INFINITY);
  });

  it('float64 NaN and Infinity', () => {
    expect(decodeValue([0x7ff8, 0, 0, 0], 'float64')).toBeNaN();
    expect(decodeValue([0x7ff0, 0, 0, 0], 'float64')).toBe(Number.POSITIVE_INFINITY);
  });

  it('64-bit extremes (beyond 2^53 the nearest double)', () => {
    expect(decodeValue([0xffff, 0xffff, 0xffff, 0xffff], 'int64')).toBe(-1);
    expect(decodeValue([0x8000, 0, 0, 0], 'int64')).toBe(-(2 ** 63));
    expect(decodeValue([0xffff, 0xffff, 0xffff, 0xffff], 'uint64')).toBe(2 ** 64);
    expect(decodeValue([0x0020, 0, 0, 1], 'uint64')).toBe(2 ** 53); // 2^53 + 1 rounds to 2^53
    expect(decodeValue([0x001f, 0xffff, 0xffff, 0xffff], 'uint64')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('bool from bits', () => {
    expect(decodeValue([1], 'bool')).toBe(1);
    expect(decodeValue([0], 'bool')).toBe(0);
  });

  it('uses only the first registerCount words and rejects too few', () => {
    expect(decodeValue([0x0001, 0x0002, 0x9999], 'uint32')).toBe(0x00010002);
    expect(() => decodeValue([0x0001], 'float32')).toThrow(RangeError);
  });
});

describe('registerCount', () => {
  it('matches the type widths', () => {
    expect(REGISTER_TYPES.map(registerCount)).toEqual([1, 1, 1, 2, 2, 2, 4, 4, 4]);
  });
});

describe('encodeValue', () => {
  it('produces the golden registers', () => {
    expect(encodeValue(0x12345678, 'uint32', 'BADC')).toEqual([0x3412, 0x7856]);
    expect(encodeValue(-123, 'int16')).toEqual([0xff85]);
    expect(encodeValue(-2.5, 'float64', 'CDAB')).toEqual([0, 0, 0, 0xc004]);
    expect(encodeValue(Number.NaN, 'float32')).toEqual([0x7fc0, 0]);
    expect(encodeValue(1, 'bool')).toEqual([1]);
  });

  it('rejects integers out of range or fractional', () => {
    expect(() => encodeValue(65536, 'uint16')).toThrow(RangeError);
    expect(() => encodeValue(-1, 'uint32')).toThrow(RangeError);
    expect(() => encodeValue(1.5, 'int32')).toThrow(RangeError);
    expect(() => encodeValue(2 ** 64, 'uint64')).toThrow(RangeError);
    expect(() => encodeValue(-(2 ** 63) - 4096, 'int64')).toThrow(RangeError);
  });
});

describe('encode → decode round trip (property)', () => {
  const order = fc.constantFrom(...WORD_ORDERS);
  const cases: [RegisterType, fc.Arbitrary<number>][] = [
    ['int16', fc.integer({ min: -0x8000, max: 0x7fff })],
    ['uint16', fc.integer({ min: 0, max: 0xffff })],
    ['int32', fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff })],
    ['uint32', fc.integer({ min: 0, max: 0xffff_ffff })],
    [
      'int64',
      fc
        .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
        .map(Number)
        .filter((n) => n < 2 ** 63),
    ],
    [
      'uint64',
      fc
        .bigInt({ min: 0n, max: 2n ** 64n - 1n })
        .map(Number)
        .filter((n) => n < 2 ** 64),
    ],
    ['float32', fc.float({ noDefaultInfinity: false, noNaN: false })],
    ['float64', fc.double()],
    ['bool', fc.constantFrom(0, 1)],
  ];

  for (const [type, values] of cases) {
    it(type, () => {
      fc.assert(
        fc.property(values, order, (value, o) => {
          const words = encodeValue(value, type, o);
          expect(words).toHaveLength(registerCount(type));
          for (const w of words) expect(w >= 0 && w <= 0xffff && Number.isInteger(w)).toBe(true);
          // A float32 decodes to its shortest decimal, which is the same float32 (shortestFloat32.test.ts).
          const decoded = decodeValue(words, type, o);
          expect(
            Object.is(type === 'float32' ? Math.fround(decoded) : decoded, value) ||
              (Number.isNaN(value) && type.startsWith('float')),
          ).toBe(true);
          if (Number.isNaN(value)) expect(decodeValue(words, type, o)).toBeNaN();
        }),
      );
    });
  }

  it('decode → encode reproduces any register pattern of the integer types', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 2, maxLength: 2 }),
        order,
        fc.constantFrom<RegisterType>('int32', 'uint32'),
        (words, o, type) => {
          expect(encodeValue(decodeValue(words, type, o), type, o)).toEqual(words);
        },
      ),
    );
  });
});
