/**
 * Runs jobs one at a time in arrival order. modbus-serial neither queues nor limits outstanding
 * requests, and most analyzers (and every RTU gateway behind a TCP port) answer one request at a
 * time: a second request in flight gets dropped or answered late. FIFO keeps devices sharing a bus
 * fair: a device polling often cannot starve one polling rarely.
 */
export class TransactionQueue {
  private readonly waiting: {
    job: () => Promise<unknown>;
    resolve: (v: unknown) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private busy = false;

  /** Jobs not yet started. */
  get pending(): number {
    return this.waiting.length;
  }

  /** True while a job runs. */
  get running(): boolean {
    return this.busy;
  }

  /** Resolves/rejects with the job's outcome once every earlier job has settled. */
  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ job, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.busy = true;
    let outcome: Promise<unknown>;
    try {
      outcome = next.job();
    } catch (err) {
      // A job that throws synchronously must not wedge the queue.
      outcome = Promise.reject(err);
    }
    outcome.then(next.resolve, next.reject).finally(() => {
      this.busy = false;
      this.pump();
    });
  }
}
