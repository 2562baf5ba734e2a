import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimalDifference,
  decimalOf,
  decimalSum,
  engineeringValue,
  plainText,
  roundSignificant,
  roundToSignificant,
} from '../../../agent/core/decimal.js';
import { valueText } from '../../../agent/core/valueText.js';
import { shortestFloat32, significantDigits } from '../../../drivers/modbus/decode.js';

describe('decimals of numbers', () => {
  it('reads a double as the decimal its shortest text says', () => {
    expect(decimalOf(7.6)).toEqual({ m: 76n, e: -1 });
    expect(decimalOf(-1200)).toEqual({ m: -12n, e: 2 });
    expect(decimalOf(1e-7)).toEqual({ m: 1n, e: -7 });
    expect(decimalOf(1.5e21)).toEqual({ m: 15n, e: 20 });
    expect(decimalOf(-0)).toEqual({ m: 0n, e: 0 });
    expect(() => decimalOf(Number.NaN)).toThrow(RangeError);
  });

  it('rounds half to even on the decimal (GB/T 8170), not on the binary value', () => {
    // 2.675 is 2.67499999999999982236431605997495353221893310546875 in binary: toFixed gives 2.67.
    expect((2.675).toFixed(2)).toBe('2.67');
    expect(plainText(roundSignificant(decimalOf(2.675), 3))).toBe('2.68');
    expect(plainText(roundSignificant(decimalOf(2.665), 3))).toBe('2.66');
    expect(plainText(roundSignificant(decimalOf(-2.665), 3))).toBe('-2.66');
    expect(plainText(roundSignificant(decimalOf(999.96), 4))).toBe('1000');
  });
});

describe('engineeringValue: raw × scale + offset without binary noise', () => {
  it('keeps an unscaled value as it is', () => {
    expect(engineeringValue(7.6, 1, 0, 9)).toBe(7.6);
    expect(engineeringValue(Math.fround(7.6), 1, 0, 9)).toBe(Math.fround(7.6)); // nothing to compute
  });

  it('multiplies and adds the decimals exactly', () => {
    expect(3 * 0.1).toBe(0.30000000000000004);
    expect(engineeringValue(3, 0.1, 0)).toBe(0.3);
    expect(engineeringValue(730, 0.01, 0)).toBe(7.3);
    expect(engineeringValue(1500, 0.001, -1)).toBe(0.5); // level in mm with a −1 m datum
    expect(engineeringValue(100.1, 1, -100)).toBe(0.1); // 100.1 − 100 is 0.09999999999999432 in binary
    // °C → °F of a float32 7.6: 45.68, not 45.67999982833862.
    expect(engineeringValue(shortestFloat32(Math.fround(7.6)), 1.8, 32, significantDigits('float32'))).toBe(
      45.68,
    );
  });

  it('keeps no more digits in the product than the raw float32 carried', () => {
    // 17.510412 × 1.23456789 is 21.61779239587068 exactly; a float32 told only 9 digits.
    expect(engineeringValue(17.510412, 1.23456789, 0, 9)).toBe(21.6177924);
    // An integer register keeps the exact product.
    expect(engineeringValue(1_234_567_890, 0.01, 0, significantDigits('int32'))).toBe(12_345_678.9);
  });

  it('leaves non-finite input to the caller', () => {
    expect(engineeringValue(Number.NaN, 0.1, 0)).toBeNaN();
    expect(engineeringValue(Number.POSITIVE_INFINITY, 2, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('property: agrees with the binary arithmetic to 1e-12 relative, and prints short', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -32768, max: 65535 }),
        fc.constantFrom(0.1, 0.01, 0.001, 0.5, 2, 1.8, 10),
        fc.constantFrom(0, -1, 32, 0.5, -273.15),
        (raw, scale, offset) => {
          const v = engineeringValue(raw, scale, offset);
          const binary = raw * scale + offset;
          expect(Math.abs(v - binary)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(binary)));
          // An integer register × a scale of ≤ 3 decimals + an offset of ≤ 2: at most 5 decimals.
          expect((String(v).split('.')[1] ?? '').length).toBeLessThanOrEqual(5);
        },
      ),
    );
  });
});

describe('sums and differences of decimals (counters)', () => {
  it('gives the increase a person would compute', () => {
    expect(98765.45 - 98765.4).not.toBe(0.05);
    expect(decimalDifference(98765.45, 98765.4)).toBe(0.05);
    expect(decimalSum(0.1, 0.2)).toBe(0.3);
    expect(decimalSum(12_345_678.9, 0.1)).toBe(12_345_679);
  });

  it('rounds a mean to the significant digits asked', () => {
    expect(roundToSignificant((7.6 + 7.7 + 7.8) / 3, 12)).toBe(7.7);
    expect(roundToSignificant(2 / 3, 12)).toBe(0.666666666667);
    expect(roundToSignificant(0, 12)).toBe(0);
  });
});

describe('valueText: decimals formatting', () => {
  it('without decimals: the shortest text, never an exponent', () => {
    expect(valueText(7.6)).toBe('7.6');
    expect(valueText(17.51)).toBe('17.51');
    expect(valueText(1e-7)).toBe('0.0000001');
    expect(valueText(-2.5e-8)).toBe('-0.000000025');
    expect(valueText(1.5e21)).toBe('1500000000000000000000');
    expect(valueText(-0)).toBe('0');
    expect(valueText(Number.NaN)).toBe('NaN');
  });

  it('with decimals: exactly that many digits after the point, half to even on the decimal', () => {
    expect(valueText(7.6, 2)).toBe('7.60');
    expect(valueText(17.51, 1)).toBe('17.5');
    expect(valueText(2.345, 2)).toBe('2.34'); // 5 after an even digit: kept
    expect(valueText(2.355, 2)).toBe('2.36'); // after an odd one: up
    expect(valueText(2.3451, 2)).toBe('2.35'); // more than half: up
    expect(valueText(1.005, 2)).toBe('1.00'); // the decimal 1.005 (toFixed: binary 1.00499…)
    expect(valueText(12.5, 0)).toBe('12');
    expect(valueText(13.5, 0)).toBe('14');
    expect(valueText(1234567.891, 10)).toBe('1234567.8910000000');
    expect(valueText(1e-7, 3)).toBe('0.000');
    expect(valueText(-0.001, 2)).toBe('0.00'); // a zero has no sign
    expect(valueText(-1.25, 1)).toBe('-1.2');
    expect(valueText(7, null)).toBe('7');
  });

  it('property: the text reads back within half a unit of the last decimal, with exactly that many', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.integer({ min: 0, max: 10 }),
        (v, d) => {
          const text = valueText(v, d);
          expect(text).toMatch(d === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${d}}$`));
          expect(Math.abs(Number(text) - v)).toBeLessThanOrEqual(
            0.5 * 10 ** -d * (1 + 1e-9) + 1e-15 * Math.abs(v),
          );
        },
      ),
    );
  });

  it('property: without decimals the text is the number itself', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const text = valueText(v);
        expect(text).not.toMatch(/e/i);
        expect(Number(text)).toBe(v === 0 ? 0 : v);
      }),
    );
  });
});
