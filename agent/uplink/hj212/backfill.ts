import type { Clock } from '../../core/clock.js';
import type { AggregateStore } from '../../store/aggregateStore.js';
import type { ReadingStore } from '../../store/readingStore.js';

/**
 * `uplinks[].backfill` of an HJ 212 uplink: where its stream pairs start the first time it runs on a
 * store that already holds data. 'all' (or a config built without it): nowhere special, everything
 * stored goes as backlog (RF=1). A duration: only what was measured within it before now, the rest
 * is never sent by this uplink (a platform that wants it asks with a history request).
 */
export function backfillStarts(
  backfill: 'all' | number | undefined,
  readings: Pick<ReadingStore, 'firstSeqSince' | 'lastSeq'>,
  aggregates: Pick<AggregateStore, 'firstAseqEndingSince' | 'lastAseq'>,
  clock: Pick<Clock, 'now'>,
): { realtime: () => number; aggregates: () => number } | null {
  if (typeof backfill !== 'number') return null;
  const since = () => clock.now() - backfill;
  return {
    // The cursor is the last seq not to send: one before the first reading within the window.
    realtime: () => (readings.firstSeqSince(since()) ?? readings.lastSeq() + 1) - 1,
    aggregates: () => (aggregates.firstAseqEndingSince(since()) ?? aggregates.lastAseq() + 1) - 1,
  };
}
