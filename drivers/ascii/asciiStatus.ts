import type { DataFlag } from '../../agent/core/reading.js';

/**
 * Instrument status of text-protocol analyzers: a second command whose answer holds one integer
 * (the `value` named group, hex or decimal), mapped to a data flag by rules.
 *
 * Rules are tried in order and the first match wins:
 *   { equals: 0, flag: N }           the whole value equals 0
 *   { mask: 0x20000000, flag: M }    any of the mask's bits is set in the value
 * No rule matches: the status's `default`. Order expresses priority, e.g. service mode before an
 * alarm bit, so a technician's maintenance is not reported as a fault.
 */

export interface StatusRule {
  equals?: number;
  mask?: number;
  flag: DataFlag;
}

// Status words are up to 32 bits in practice (C-Link `flags` is 8 hex digits); BigInt keeps masks
// with the top bit set (0x80000000) from turning negative in JS bitwise operations, and allows 64.
const INTEGER_RE: Record<10 | 16, RegExp> = {
  10: /^[+-]?\d{1,20}$/,
  16: /^(?:0[xX])?[0-9A-Fa-f]{1,16}$/,
};

/** The status integer written in `base`, or undefined when the text is not one. */
export function parseStatusValue(text: string, base: 10 | 16): number | undefined {
  const t = text.trim();
  if (!INTEGER_RE[base].test(t)) return undefined;
  const big = base === 16 ? BigInt(t.startsWith('0x') || t.startsWith('0X') ? t : `0x${t}`) : BigInt(t);
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The flag of the first rule matching `value`, else `fallback`. */
export function flagForStatus(value: number, rules: readonly StatusRule[], fallback: DataFlag): DataFlag {
  const v = BigInt(value);
  for (const rule of rules) {
    if (rule.equals !== undefined && v === BigInt(rule.equals)) return rule.flag;
    if (rule.mask !== undefined && (v & BigInt(rule.mask)) !== 0n) return rule.flag;
  }
  return fallback;
}
