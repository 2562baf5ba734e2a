/**
 * The seqs a receiver has of one station, as sorted, disjoint, inclusive ranges with the reading
 * times at their ends. Contiguous data stays one range however long it runs, so the dedupe state
 * is a few numbers, not one entry per reading; the ends' times let a gap be asked for by time
 * (the `resend` command takes a time range).
 */
export interface SeqRange {
  from: number;
  to: number;
  /** ts (epoch ms) of the readings at `from` and `to`. */
  fromTs: number;
  toTs: number;
}

export interface Gap {
  /** Missing seqs, inclusive. */
  from: number;
  to: number;
  /** Times of the readings either side: a resend of [afterTs, beforeTs] covers the gap. */
  afterTs: number;
  beforeTs: number;
}

export class SeqRanges {
  readonly ranges: SeqRange[];

  constructor(ranges: SeqRange[] = []) {
    this.ranges = [...ranges].sort((a, b) => a.from - b.from);
  }

  has(seq: number): boolean {
    return this.find(seq) !== undefined;
  }

  /** Records one seq; false when it was already there (a duplicate). */
  add(seq: number, ts: number): boolean {
    if (this.has(seq)) return false;
    const r = this.ranges;
    let i = 0;
    while (i < r.length && r[i]!.to < seq) i++;
    const prev = i > 0 ? r[i - 1] : undefined;
    const next = r[i];
    if (prev && prev.to === seq - 1 && next && next.from === seq + 1) {
      prev.to = next.to;
      prev.toTs = next.toTs;
      r.splice(i, 1);
    } else if (prev && prev.to === seq - 1) {
      prev.to = seq;
      prev.toTs = ts;
    } else if (next && next.from === seq + 1) {
      next.from = seq;
      next.fromTs = ts;
    } else {
      r.splice(i, 0, { from: seq, to: seq, fromTs: ts, toTs: ts });
    }
    return true;
  }

  /** Holes between the first and the last seq received. */
  gaps(): Gap[] {
    const out: Gap[] = [];
    for (let i = 1; i < this.ranges.length; i++) {
      const a = this.ranges[i - 1]!;
      const b = this.ranges[i]!;
      out.push({ from: a.to + 1, to: b.from - 1, afterTs: a.toTs, beforeTs: b.fromTs });
    }
    return out;
  }

  private find(seq: number): SeqRange | undefined {
    // Binary search: the list is sorted and disjoint.
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.ranges[mid]!;
      if (seq < r.from) hi = mid - 1;
      else if (seq > r.to) lo = mid + 1;
      else return r;
    }
    return undefined;
  }
}
