/**
 * Reconnect delays: exponential from `min`, capped at `max`, with jitter so a fleet of stations that lost
 * the same broker does not reconnect in lock-step when it comes back.
 */
export class ReconnectBackoff {
  private readonly min: number;
  private readonly max: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(opts: { min: number; max: number; random?: () => number }) {
    this.min = Math.max(0, opts.min);
    // The config schema does not check min <= max; a max below min means "always min".
    this.max = Math.max(this.min, opts.max);
    this.random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt, always within [min, max]; each call doubles the next ceiling. */
  next(): number {
    // 2^30 keeps the exponent finite; the cap makes anything beyond irrelevant.
    const ceiling = Math.min(this.max, this.min * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    // "Equal jitter": half fixed, half random, so the delay still grows while staying spread out.
    const delay = ceiling / 2 + (this.random() * ceiling) / 2;
    return Math.round(Math.min(this.max, Math.max(this.min, delay)));
  }

  /** After a successful connect the next outage starts again from `min`. */
  reset(): void {
    this.attempt = 0;
  }
}
