interface Commit {
  firstSeq: number;
  lastSeq: number;
  /** Monotonic time the commit became visible. */
  at: number;
}

/**
 * Decides when unsent readings are due: at once when a full batch is waiting, otherwise `maxDelay` after
 * the oldest unsent reading became available. Readings whose commit time is unknown (committed before
 * the uplink started: a backlog) are due at once.
 *
 * It keeps the time of recent commits only: once a commit is `maxDelay` old, everything committed before
 * it is due anyway, so older entries are dropped and memory stays bounded during a long outage.
 */
export class BatchTiming {
  private readonly maxReadings: number;
  private readonly maxDelay: number;
  private knownLastSeq = 0;
  private commits: Commit[] = [];

  constructor(opts: { maxReadings: number; maxDelay: number }) {
    this.maxReadings = opts.maxReadings;
    this.maxDelay = opts.maxDelay;
  }

  /** Highest committed seq known. */
  get lastSeq(): number {
    return this.knownLastSeq;
  }

  /** Readings already in the store at start-up: no commit time, so they count as due. */
  noteExisting(lastSeq: number): void {
    this.knownLastSeq = Math.max(this.knownLastSeq, lastSeq);
  }

  /** A commit of seqs firstSeq..lastSeq became available at monotonic time `at`. */
  noteCommitted(firstSeq: number, lastSeq: number, at: number): void {
    if (lastSeq <= this.knownLastSeq) return;
    this.knownLastSeq = lastSeq;
    this.commits.push({ firstSeq, lastSeq, at });
    while (this.commits.length >= 2 && this.commits[1]!.at + this.maxDelay <= at) this.commits.shift();
  }

  /**
   * Monotonic time at which readings after `sentUpTo` must be published: -Infinity for "now", null when
   * nothing is waiting.
   */
  dueAt(sentUpTo: number): number | null {
    while (this.commits.length > 0 && this.commits[0]!.lastSeq <= sentUpTo) this.commits.shift();
    const waiting = this.knownLastSeq - sentUpTo;
    if (waiting <= 0) return null;
    // An upper bound on the count (seqs are consecutive unless rows were deleted): worst case a short batch.
    if (waiting >= this.maxReadings) return Number.NEGATIVE_INFINITY;
    const oldest = this.commits[0];
    if (oldest === undefined || oldest.firstSeq > sentUpTo + 1) return Number.NEGATIVE_INFINITY;
    return oldest.at + this.maxDelay;
  }
}
