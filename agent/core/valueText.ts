import { decimalOf, plainText, roundPlaces } from './decimal.js';

/**
 * A value as text for people and for HJ 212: never an exponent (no platform parses `1e-7`), and with
 * a channel's `decimals` exactly that many digits after the point, rounded half to even on the decimal
 * the value stands for (GB/T 8170; 2.345 → 2.34, 2.355 → 2.36). Without `decimals` the value is written
 * as the shortest text that reads back as the same number. See docs/values.md.
 */

/** Largest `decimals` a channel may ask for (the schema's limit). */
export const MAX_DECIMALS = 10;

export function valueText(value: number, decimals?: number | null): string {
  if (!Number.isFinite(value)) return String(value);
  const d = decimalOf(value);
  if (decimals === undefined || decimals === null) return plainText(d);
  return plainText(roundPlaces(d, decimals), decimals);
}
