import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, shortestFloat32 } from '../../../drivers/modbus/decode.js';

/** The float32 whose IEEE 754 bits are `bits`. */
function floatOfBits(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits >>> 0);
  return view.getFloat32(0);
}

/** Significant digits of a number's shortest text (`17.51` → 4, `1e-45` → 1, `120` → 2). */
function significantDigits(x: number): number {
  const mantissa = String(Math.abs(x)).split('e')[0]!.replace('.', '');
  return mantissa.replace(/^0+/, '').replace(/0+$/, '').length;
}

/** |f| as an exact fraction num/den (f = M × 2^E). */
function exactFraction(f: number): { num: bigint; den: bigint } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(f));
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const e2 = (exp === 0 ? 1 : exp) - 1075;
  return e2 >= 0 ? { num: mant << BigInt(e2), den: 1n } : { num: mant, den: 1n << BigInt(-e2) };
}

/**
 * Whether some decimal with `q` significant digits reads back as float32 `f`. An oracle independent of
 * shortestFloat32 (no toPrecision/toExponential): the two q-digit decimals around |f|, computed exactly
 * with BigInt, are the only candidates (the decimals that round to f form an interval around it).
 */
function someDecimalOfLength(f: number, q: number): boolean {
  const { num, den } = exactFraction(f);
  let e10 = Math.floor(Math.log10(Math.abs(f)));
  // Exact decade: 10^e10 <= |f| < 10^(e10+1).
  const atLeast = (k: number) => (k >= 0 ? num >= den * 10n ** BigInt(k) : num * 10n ** BigInt(-k) >= den);
  while (!atLeast(e10)) e10--;
  while (atLeast(e10 + 1)) e10++;
  const k = e10 - q + 1; // candidates are c × 10^k with c of q digits
  const low = k >= 0 ? num / (den * 10n ** BigInt(k)) : (num * 10n ** BigInt(-k)) / den;
  const sign = f < 0 ? '-' : '';
  return [low, low + 1n].some((c) => Math.fround(Number(`${sign}${c}e${k}`)) === f);
}

describe('shortestFloat32', () => {
  it('gives the decimal an instrument meant, not the double nearest the float', () => {
    expect(shortestFloat32(Math.fround(7.6))).toBe(7.6);
    expect(String(shortestFloat32(Math.fround(7.6)))).toBe('7.6');
    expect(String(shortestFloat32(Math.fround(17.51)))).toBe('17.51');
    expect(String(shortestFloat32(Math.fround(17.510412)))).toBe('17.510412');
    expect(String(shortestFloat32(Math.fround(0.1)))).toBe('0.1');
    expect(String(shortestFloat32(Math.fround(-1234.5)))).toBe('-1234.5');
    expect(String(shortestFloat32(Math.fround(16777217)))).toBe('16777216');
    expect(String(shortestFloat32(Math.fround(3.4e38)))).toBe('3.4e+38');
  });

  it('needs up to 9 digits, and fewer for subnormals as they hold fewer bits', () => {
    // 0x3F800001: the float just above 1 needs all 9.
    expect(String(shortestFloat32(floatOfBits(0x3f800001)))).toBe('1.0000001');
    expect(String(shortestFloat32(floatOfBits(0x3f7fffff)))).toBe('0.99999994');
    expect(String(shortestFloat32(floatOfBits(0x00000001)))).toBe('1e-45'); // the smallest subnormal
    expect(String(shortestFloat32(floatOfBits(0x7f7fffff)))).toBe('3.4028235e+38'); // the largest float
  });

  it('finds the shorter decimal on the far side next to a power of two', () => {
    // 2^87 = 1.5474250491067253e26: the nearest 8-digit decimal (1.5474250e26) lies below its
    // narrower lower half-gap, the next one up (1.5474251e26) inside its wider upper one.
    expect(String(shortestFloat32(2 ** 87))).toBe('1.5474251e+26');
    expect(String(shortestFloat32(2 ** -96))).toBe('1.2621775e-29');
    for (const bits of [0x00800000, 0x4b000000, 0x3f800000, 0x6b000000, 0x7e800000]) {
      const f = floatOfBits(bits);
      const s = shortestFloat32(f);
      expect(Math.fround(s)).toBe(f);
      const p = significantDigits(s);
      if (p > 1) expect(someDecimalOfLength(f, p - 1)).toBe(false);
    }
  });

  it('leaves NaN, the infinities and both zeros as they are', () => {
    expect(shortestFloat32(Number.NaN)).toBeNaN();
    expect(shortestFloat32(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(shortestFloat32(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(shortestFloat32(-0), -0)).toBe(true);
    expect(Object.is(shortestFloat32(0), 0)).toBe(true);
  });

  it('is what decodeValue returns for a float32 register pair, in every order', () => {
    for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
      expect(decodeValue(encodeValue(7.6, 'float32', order), 'float32', order)).toBe(7.6);
      expect(decodeValue(encodeValue(17.51, 'float32', order), 'float32', order)).toBe(17.51);
    }
  });

  const finiteFloat32 = fc.oneof(
    fc.float({ noNaN: true, noDefaultInfinity: true }),
    // Every bit pattern alike: subnormals and powers of two as often as the rest.
    fc
      .integer({ min: 0, max: 0xffff_ffff })
      .map(floatOfBits)
      .filter((f) => Number.isFinite(f)),
  );

  it('property: reads back as the same float32, in at most 9 significant digits', () => {
    fc.assert(
      fc.property(finiteFloat32, (f) => {
        const s = shortestFloat32(f);
        expect(Object.is(Math.fround(s), f)).toBe(true);
        expect(significantDigits(s)).toBeLessThanOrEqual(9);
        // Written out and read back (JSON, SQLite text, CSV) it is still f (-0 is written "0").
        expect(Math.fround(Number(String(s))) === f).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: no decimal with fewer significant digits reads back as the same float32', () => {
    fc.assert(
      fc.property(
        finiteFloat32.filter((f) => f !== 0),
        (f) => {
          const p = significantDigits(shortestFloat32(f));
          if (p > 1) expect(someDecimalOfLength(f, p - 1)).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
