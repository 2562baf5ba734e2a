/**
 * Exact decimal arithmetic for the few places where a value is computed from other values and the
 * binary result would carry noise the instrument never meant: `raw × scale + offset` (3 × 0.1 is
 * 0.30000000000000004 in binary), counter increases (98765.45 − 98765.4). Each operand is taken as
 * the decimal its shortest round-trip text says (what JS `String()` prints), the arithmetic is done
 * on those decimals exactly (BigInt), and the result is the double nearest the exact decimal.
 * See docs/values.md.
 */

/** The decimal m × 10^e, exactly. */
export interface Decimal {
  readonly m: bigint;
  readonly e: number;
}

/** Significant digits a double holds faithfully: any decimal of 15 digits survives the round trip. */
export const DOUBLE_DIGITS = 15;

const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** The decimal a finite double's shortest round-trip text gives (7.6 → 76 × 10^-1). */
export function decimalOf(x: number): Decimal {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is not a finite number`);
  const match = NUMBER_TEXT.exec(String(x));
  if (!match) throw new RangeError(`cannot read ${x} as a decimal`);
  const [, sign = '', int = '', frac = '', exp = '0'] = match;
  return normalize({ m: BigInt(`${sign}${int}${frac}`), e: Number(exp) - frac.length });
}

/** The double nearest the decimal (JS parses decimal text with correct rounding). */
export function decimalToNumber(d: Decimal): number {
  return Number(`${d.m}e${d.e}`);
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const e = Math.min(a.e, b.e);
  return normalize({ m: a.m * pow10(a.e - e) + b.m * pow10(b.e - e), e });
}

export function multiplyDecimals(a: Decimal, b: Decimal): Decimal {
  return normalize({ m: a.m * b.m, e: a.e + b.e });
}

export function negateDecimal(d: Decimal): Decimal {
  return { m: -d.m, e: d.e };
}

/**
 * At most `digits` significant digits, rounded half to even (GB/T 8170's 四舍六入五成双: the rule
 * Chinese monitoring reports round by).
 */
export function roundSignificant(d: Decimal, digits: number): Decimal {
  const length = magnitude(d.m).toString().length;
  if (d.m === 0n || length <= digits) return d;
  const drop = length - digits;
  return normalize({ m: divideRounded(d.m, drop), e: d.e + drop });
}

/** At most `places` digits after the decimal point, rounded half to even. */
export function roundPlaces(d: Decimal, places: number): Decimal {
  const drop = -d.e - places;
  if (drop <= 0) return d;
  return normalize({ m: divideRounded(d.m, drop), e: d.e + drop });
}

/**
 * Plain positional text, never an exponent (`1e-7` → `0.0000001`, `1e21` → `1000000000000000000000`).
 * With `places`, exactly that many digits after the point (the decimal must not have more: round first).
 * A zero is written without a sign.
 */
export function plainText(d: Decimal, places?: number): string {
  const digits = magnitude(d.m).toString();
  let int: string;
  let frac: string;
  if (d.e >= 0) {
    int = d.m === 0n ? '0' : digits + '0'.repeat(d.e);
    frac = '';
  } else {
    const padded = digits.padStart(-d.e + 1, '0');
    int = padded.slice(0, padded.length + d.e);
    frac = padded.slice(padded.length + d.e).replace(/0+$/, '');
  }
  if (places !== undefined) {
    if (frac.length > places) throw new RangeError(`${frac.length} decimals where ${places} were asked`);
    frac = frac.padEnd(places, '0');
  }
  const sign = d.m < 0n ? '-' : '';
  return `${sign}${int}${frac === '' ? '' : `.${frac}`}`;
}

/**
 * `raw × scale + offset` without binary noise: 3 × 0.1 = 0.3, float32 7.6 × 1.8 + 32 = 45.68.
 * The product keeps at most `rawDigits` significant digits, the precision the raw value carried
 * (9 for a float32: scaling adds no information); the sum is exact, then held to a double's 15 digits.
 * Non-finite input is returned as the binary arithmetic gives it, for the caller to refuse.
 */
export function engineeringValue(
  raw: number,
  scale: number,
  offset: number,
  rawDigits = DOUBLE_DIGITS,
): number {
  if (scale === 1 && offset === 0) return raw;
  if (!Number.isFinite(raw) || !Number.isFinite(scale) || !Number.isFinite(offset))
    return raw * scale + offset;
  const product = roundSignificant(multiplyDecimals(decimalOf(raw), decimalOf(scale)), rawDigits);
  return decimalToNumber(roundSignificant(addDecimals(product, decimalOf(offset)), DOUBLE_DIGITS));
}

/** `a + b` of two decimals, exact up to a double's 15 digits (counter increases add up without drift). */
export function decimalSum(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a + b;
  return decimalToNumber(roundSignificant(addDecimals(decimalOf(a), decimalOf(b)), DOUBLE_DIGITS));
}

/** `a − b` of two decimals, exact up to a double's 15 digits (98765.45 − 98765.4 = 0.05). */
export function decimalDifference(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a - b;
  return decimalSum(a, -b);
}

/** The double nearest `x` rounded to `digits` significant digits (sums and means: arithmetic noise off). */
export function roundToSignificant(x: number, digits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

function normalize(d: Decimal): Decimal {
  if (d.m === 0n) return { m: 0n, e: 0 };
  let { m, e } = d;
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  return { m, e };
}

/** m / 10^drop, rounded half to even. */
function divideRounded(m: bigint, drop: number): bigint {
  const p = pow10(drop);
  let q = m / p; // truncates toward zero
  const twiceRest = 2n * magnitude(m % p);
  if (twiceRest > p || (twiceRest === p && q % 2n !== 0n)) q += m < 0n ? -1n : 1n;
  return q;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function magnitude(m: bigint): bigint {
  return m < 0n ? -m : m;
}
