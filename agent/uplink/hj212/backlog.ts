import type { OutboxSource } from '../outboxSource.js';

/**
 * Newly collected data first, the backlog (补传) beside it — with the outbox's cursors.
 *
 * Each kind of data (real-time readings, aggregates) has two OutboxStreams on one connection:
 * - live: its cursor means "everything up to here was delivered or handed to the backlog". When a
 *   connection opens, the rows stored since that cursor (stored while disconnected, or sent and
 *   never answered) become a backlog range and the live cursor jumps to the newest row, so live
 *   data flows at once and is never queued behind the backlog.
 * - backlog: sends the rows of its ranges from its own cursor, oldest first, with RF=1 under 2025.
 *   It has its own in-flight slot, so it never delays a live upload (answers are matched by QN).
 *
 * The ranges are persisted (uplink_settings) before the live cursor moves, so a restart in between
 * re-adds an overlapping range rather than losing one; overlapping ranges merge.
 */

export interface SeqRange {
  /** Exclusive. */
  from: number;
  /** Inclusive. */
  to: number;
}

export class BacklogRanges {
  private ranges: SeqRange[];

  constructor(
    initial: readonly SeqRange[],
    private readonly persist: (ranges: readonly SeqRange[]) => void,
  ) {
    this.ranges = normalise(initial);
  }

  get list(): readonly SeqRange[] {
    return this.ranges;
  }

  /** Highest seq any range covers (0 for none). */
  end(): number {
    return this.ranges.at(-1)?.to ?? 0;
  }

  /** Adds (from, to] and persists; throws when persisting fails (the caller keeps its cursor then). */
  add(from: number, to: number): void {
    if (to <= from) return;
    const next = normalise([...this.ranges, { from, to }]);
    this.persist(next);
    this.ranges = next;
  }

  /** Forgets ranges entirely at or below `cursor` (already re-sent). Persisting is best effort. */
  prune(cursor: number): void {
    const next = this.ranges.filter((r) => r.to > cursor);
    if (next.length === this.ranges.length) return;
    this.ranges = next;
    try {
      this.persist(next);
    } catch {
      // A stale range costs nothing: rows at or below the backlog cursor are never read again.
    }
  }
}

/** Sorted, overlapping or touching ranges merged. */
function normalise(ranges: readonly SeqRange[]): SeqRange[] {
  const sorted = ranges.filter((r) => r.to > r.from).sort((a, b) => a.from - b.from);
  const out: SeqRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last !== undefined && r.from <= last.to) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** The rows of `inner` inside the ranges, as a source for the backlog stream. */
export function backlogSource<Row>(inner: OutboxSource<Row>, ranges: BacklogRanges): OutboxSource<Row> {
  const after = (seq: number) => ranges.list.filter((r) => r.to > seq);
  return {
    readAfter(seq, limit) {
      const out: Row[] = [];
      for (const r of after(seq)) {
        const want = limit - out.length;
        if (want <= 0) break;
        const rows = inner.readAfter(Math.max(seq, r.from), want);
        for (const row of rows) if (inner.seqOf(row) <= r.to) out.push(row);
      }
      return out;
    },
    // Ranges only grow when a connection opens, and OutboxStream.open() reads lastSeq then.
    lastSeq: () => ranges.end(),
    countAfter(seq) {
      let n = 0;
      for (const r of after(seq)) n += inner.countAfter(Math.max(seq, r.from)) - inner.countAfter(r.to);
      return n;
    },
    oldestTsAfter(seq) {
      const first = after(seq)[0];
      return first === undefined ? null : (inner.oldestTsAfter?.(Math.max(seq, first.from)) ?? null);
    },
    onCommitted: () => () => {},
    seqOf: (row) => inner.seqOf(row),
  };
}
