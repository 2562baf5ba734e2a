/**
 * The flag of a minute, hour or day record.
 *
 * 1. Share rule (after the Texas TCEQ rule): if at least `flagShare` (default 75 %) of the received
 *    samples (for a minute) or of the child records that hold data (for an hour or a day) carry one
 *    flag, the period takes it; otherwise the highest-priority flag among them. `flagShare: 1` is
 *    the HJ 212 water rule: one abnormal value makes the period abnormal.
 * 2. Validity: a period that fails its validity rule (too few valid minutes, hours or samples) never
 *    says N, T or S: it says H ("not enough valid data", used by several platforms). A flag such as
 *    C or B from step 1 is kept, since it explains why data is missing.
 * 3. No data at all: H.
 *
 * Priority, highest first: D fault > F stopped > M maintenance > C calibration > B communication >
 * H not enough data > T over range > S manual > N normal. Instrument facts outrank communication
 * (they explain a gap better), and anything abnormal outranks N.
 */

import type { AggregateFlag } from '../core/aggregateRecord.js';

export type { AggregateFlag } from '../core/aggregateRecord.js';

export const AGGREGATE_FLAG_PRIORITY: readonly AggregateFlag[] = [
  'D',
  'F',
  'M',
  'C',
  'B',
  'H',
  'T',
  'S',
  'N',
];

const RANK = new Map(AGGREGATE_FLAG_PRIORITY.map((f, i) => [f, AGGREGATE_FLAG_PRIORITY.length - i]));

/** Flags that claim a usable value: an invalid period cannot carry them. */
const VALUE_FLAGS: ReadonlySet<AggregateFlag> = new Set(['N', 'T', 'S']);

/** Flag counts of a period's samples or children. */
export type FlagCounts = ReadonlyMap<AggregateFlag, number>;

/** Step 1: the share rule. Null when there are no flags at all. */
export function shareRuleFlag(counts: FlagCounts, share: number): AggregateFlag | null {
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return null;
  let best: AggregateFlag | null = null;
  for (const [flag, n] of counts) {
    if (n <= 0) continue;
    // Exact shares: n / total >= share, without rounding 0.75 * 4 into 2.9999...
    const reaches = n >= share * total - 1e-9 * total;
    if (reaches && (best === null || rank(flag) > rank(best))) best = flag;
  }
  return best ?? highestPriority(counts);
}

/** Steps 1 to 3: the record's flag. */
export function periodFlag(counts: FlagCounts, share: number, valid: boolean): AggregateFlag {
  const flag = shareRuleFlag(counts, share);
  if (flag === null) return 'H';
  if (!valid && VALUE_FLAGS.has(flag)) return 'H';
  return flag;
}

function highestPriority(counts: FlagCounts): AggregateFlag | null {
  let best: AggregateFlag | null = null;
  for (const [flag, n] of counts) if (n > 0 && (best === null || rank(flag) > rank(best))) best = flag;
  return best;
}

function rank(flag: AggregateFlag): number {
  return RANK.get(flag) ?? 0;
}
