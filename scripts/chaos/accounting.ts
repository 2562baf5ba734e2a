/**
 * The counts of the reliability table, computed from what the store gave out and what the subscriber
 * received. Pure, so the definitions are unit-tested apart from the slow scenarios.
 *
 *   produced   = seqs given out by the store(s): its highest seq (sqlite_sequence), evicted rows included
 *   delivered  = distinct seqs 1..produced received upstream, per store
 *   lost       = produced − delivered; `missing` lists them as ranges
 *   duplicated = readings received − distinct readings received; each repeat is the same (station, db, seq)
 */

export interface StoreCount {
  /** The delivery log's key for the store (its db id, or '' when payloads carry none). */
  key: string;
  maxSeq: number;
}

export interface DeliveryCounts {
  distinct: ReadonlyMap<string, ReadonlySet<number>>;
  received: number;
}

export interface Accounting {
  produced: number;
  delivered: number;
  lost: number;
  /** Missing seqs as ranges ("12-40, 77"), per store key when there are several. */
  missing: string;
  missingSeqs: number[];
  duplicated: number;
  /** Seqs received that no store gave out (must be 0: a receiver would see phantom readings). */
  unknown: number;
}

export function account(stores: readonly StoreCount[], delivery: DeliveryCounts): Accounting {
  let produced = 0;
  let delivered = 0;
  const missingSeqs: number[] = [];
  const parts: string[] = [];
  for (const store of stores) {
    const got = delivery.distinct.get(store.key);
    const missing: number[] = [];
    for (let s = 1; s <= store.maxSeq; s++) {
      if (got?.has(s)) delivered++;
      else missing.push(s);
    }
    produced += store.maxSeq;
    missingSeqs.push(...missing);
    if (missing.length > 0)
      parts.push(stores.length > 1 ? `${store.key}: ${ranges(missing)}` : ranges(missing));
  }
  let distinct = 0;
  let unknown = 0;
  for (const [key, seqs] of delivery.distinct) {
    distinct += seqs.size;
    const max = stores.filter((s) => s.key === key).reduce((m, s) => Math.max(m, s.maxSeq), 0);
    for (const seq of seqs) if (seq > max) unknown++;
  }
  return {
    produced,
    delivered,
    lost: produced - delivered,
    missing: parts.join('; '),
    missingSeqs,
    duplicated: delivery.received - distinct,
    unknown,
  };
}

/** Ascending integers as compact ranges: [1, 2, 3, 7] → "1-3, 7". */
export function ranges(sorted: readonly number[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const from = sorted[i]!;
    let to = from;
    while (i + 1 < sorted.length && sorted[i + 1] === to + 1) to = sorted[++i]!;
    out.push(from === to ? `${from}` : `${from}-${to}`);
    i++;
  }
  return out.join(', ');
}

export interface PollDevice {
  id: string;
  channels: number;
  intervalMs: number;
}

export interface PollSlots {
  /** Distinct poll times seen (one per poll cycle; all readings of a poll share its ts). */
  polls: number;
  /**
   * Rows that should be there and are not: channels missing from a poll that happened, and every
   * channel of the slots inside a gap longer than STALL_SLOTS intervals (polling stopped).
   */
  missingRows: number;
  /** Slots skipped in shorter gaps: a poll outlasted its slot (pollScheduler.ts skips, never piles up). */
  skippedSlots: number;
  /** Rows flagged B (a failed poll stores B rows rather than nothing). */
  bRows: number;
}

/**
 * A gap of more than this many intervals between two polls is polling that stopped, not a slot
 * skipped because one poll ran long (a failed serial exchange costs timeout × tries, well under 3 s).
 */
export const STALL_SLOTS = 3;

/**
 * Serial scenarios: did every poll cycle store a row per channel? Polls run on a monotonic grid
 * (pollScheduler.ts) but their ts is the wall clock, so slots are counted from the gaps between
 * consecutive polls: a gap of k intervals (rounded) means k − 1 slots passed without a poll.
 */
export function pollSlots(
  rows: readonly { ts: number; device: string; flag: number }[],
  devices: readonly PollDevice[],
  bFlag: number,
): PollSlots {
  let polls = 0;
  let missingRows = 0;
  let skippedSlots = 0;
  let bRows = 0;
  for (const d of devices) {
    const perPoll = new Map<number, number>();
    for (const r of rows) {
      if (r.device !== d.id) continue;
      perPoll.set(r.ts, (perPoll.get(r.ts) ?? 0) + 1);
      if (r.flag === bFlag) bRows++;
    }
    const times = [...perPoll.keys()].sort((a, b) => a - b);
    polls += times.length;
    for (const t of times) missingRows += Math.max(0, d.channels - (perPoll.get(t) ?? 0));
    for (let i = 1; i < times.length; i++) {
      const gap = Math.round((times[i]! - times[i - 1]!) / d.intervalMs);
      if (gap > STALL_SLOTS) missingRows += (gap - 1) * d.channels;
      else if (gap > 1) skippedSlots += gap - 1;
    }
  }
  return { polls, missingRows, skippedSlots, bRows };
}
