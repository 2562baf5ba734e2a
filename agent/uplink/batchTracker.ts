/** A published batch awaiting its acknowledgement: it covers the stored readings with firstSeq <= seq <= lastSeq. */
export interface Batch {
  readonly id: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly count: number;
}

interface Entry {
  batch: Batch;
  confirmed: boolean;
}

/**
 * In-flight bookkeeping for one connection. Acks may arrive in any order, but the delivery cursor may only
 * move to the end of a contiguous run of acknowledged batches: persisting the highest acked seq would skip
 * an earlier batch that is still unacknowledged (and lost if the connection drops now).
 */
export class BatchTracker {
  private queue: Entry[] = [];
  private nextId = 1;
  private confirmed: number;

  constructor(confirmedUpTo = 0) {
    this.confirmed = confirmedUpTo;
  }

  /** Highest seq such that every batch up to it is acknowledged. */
  get confirmedUpTo(): number {
    return this.confirmed;
  }

  /** Batches holding a slot: unacknowledged ones and acknowledged ones waiting for an earlier batch. */
  get size(): number {
    return this.queue.length;
  }

  /** Batches still waiting for their acknowledgement. */
  get awaiting(): number {
    return this.queue.reduce((n, e) => n + (e.confirmed ? 0 : 1), 0);
  }

  /** Highest seq published on this connection (or the confirmed cursor when nothing is in flight). */
  get publishedUpTo(): number {
    return this.queue.at(-1)?.batch.lastSeq ?? this.confirmed;
  }

  /** Records a batch just published. Batches must be added in seq order. */
  add(firstSeq: number, lastSeq: number, count: number): Batch {
    if (firstSeq > lastSeq || firstSeq <= this.publishedUpTo) {
      throw new RangeError(
        `batch ${firstSeq}..${lastSeq} does not follow the last published seq ${this.publishedUpTo}`,
      );
    }
    const batch: Batch = { id: this.nextId++, firstSeq, lastSeq, count };
    this.queue.push({ batch, confirmed: false });
    return batch;
  }

  /**
   * Marks a batch acknowledged. Returns the new confirmedUpTo when it advanced, else null (an earlier batch
   * is still pending, or the batch belongs to a connection that was reset and is ignored).
   */
  confirm(batch: Batch): number | null {
    const entry = this.queue.find((e) => e.batch.id === batch.id);
    if (entry === undefined) return null;
    entry.confirmed = true;
    let advanced = false;
    while (this.queue[0]?.confirmed) {
      this.confirmed = this.queue.shift()!.batch.lastSeq;
      advanced = true;
    }
    return advanced ? this.confirmed : null;
  }

  /**
   * Forgets every in-flight batch (the connection is gone: their acks will never come) and restarts from
   * `confirmedUpTo`, normally the persisted cursor. Ids keep increasing, so a late ack of a forgotten batch
   * matches nothing.
   */
  reset(confirmedUpTo: number): void {
    this.queue = [];
    this.confirmed = confirmedUpTo;
  }
}
