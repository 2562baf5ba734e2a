import type { StoredReading } from '../core/reading.js';
import type { AggregateStore, StoredAggregate } from '../store/aggregateStore.js';
import type { EventStore, StoredEvent } from '../store/eventStore.js';
import type { ReadingStore } from '../store/readingStore.js';

/**
 * A table an uplink forwards with a cursor: rows ordered by a sequence number the store gives at
 * commit and never reuses. Seqs increase strictly but may have gaps (rows deleted by retention, an
 * aggregate replaced by its newer version), so a consumer of this interface never assumes seq + 1.
 */
export interface OutboxSource<Row> {
  /** Up to `limit` rows with seq > `seq`, in seq order; memory bounded by `limit`. */
  readAfter(seq: number, limit: number): Row[];
  /** Highest seq ever given (0 for none), even if that row is gone since. */
  lastSeq(): number;
  /** Rows stored with seq > `seq`. */
  countAfter(seq: number): number;
  /** Time (epoch ms) of the first row after `seq`, or null; for sources whose rows have a natural time. */
  oldestTsAfter?(seq: number): number | null;
  /** Calls `fn` after each commit with the rows it made durable, in seq order; returns the unsubscribe. */
  onCommitted(fn: (rows: readonly Row[]) => void): () => void;
  seqOf(row: Row): number;
}

type ReadingTable = Pick<
  ReadingStore,
  'readAfter' | 'lastSeq' | 'countAfter' | 'oldestTsAfter' | 'onCommitted'
>;
type AggregateTable = Pick<AggregateStore, 'readAfter' | 'lastAseq' | 'countAfter' | 'onCommitted'>;

export function readingSource(store: ReadingTable): OutboxSource<StoredReading> {
  return {
    readAfter: (seq, limit) => store.readAfter(seq, limit),
    lastSeq: () => store.lastSeq(),
    countAfter: (seq) => store.countAfter(seq),
    oldestTsAfter: (seq) => store.oldestTsAfter(seq),
    onCommitted: (fn) => store.onCommitted(fn),
    seqOf: (r) => r.seq,
  };
}

/** Minute/hour/day records by aseq. A replaced record leaves a gap and comes again under a new aseq. */
export function aggregateSource(store: AggregateTable): OutboxSource<StoredAggregate> {
  return {
    readAfter: (aseq, limit) => store.readAfter(aseq, limit),
    lastSeq: () => store.lastAseq(),
    countAfter: (aseq) => store.countAfter(aseq),
    onCommitted: (fn) => store.onCommitted(fn),
    seqOf: (a) => a.aseq,
  };
}

type EventTable = Pick<EventStore, 'readAfter' | 'lastId' | 'countAfter' | 'onCommitted'>;

/** Station events by id: few rows, written from several places, forwarded like data. */
export function eventSource(store: EventTable): OutboxSource<StoredEvent> {
  return {
    readAfter: (id, limit) => store.readAfter(id, limit),
    lastSeq: () => store.lastId(),
    countAfter: (id) => store.countAfter(id),
    oldestTsAfter: (id) => store.readAfter(id, 1)[0]?.ts ?? null,
    onCommitted: (fn) => store.onCommitted(fn),
    seqOf: (e) => e.id,
  };
}
