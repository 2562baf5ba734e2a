/**
 * Exponential backoff with jitter for reconnect loops. Jitter matters on a station: after a power
 * cut every analyzer gateway and bus comes back at once, and synchronized retries would collide.
 *
 * Delay n (0-based) has a ceiling of min·2^n capped at max; the actual delay is drawn uniformly from
 * [ceiling·(1 − jitter), ceiling], then clamped to [min, max]. The first delay is therefore min itself.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Fraction of the ceiling that is randomized, 0..1. Default 0.5. */
  jitter?: number;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

export interface Backoff {
  /** The next delay in ms; each call advances the exponent. */
  next(): number;
  /** Back to the first delay (call once the connection has proved itself). */
  reset(): void;
  /** Delays handed out since the last reset. */
  readonly attempts: number;
}

export function createBackoff(opts: BackoffOptions): Backoff {
  const min = Math.max(0, opts.minMs);
  // The config does not cross-check min ≤ max: treat a max below min as "always min".
  const max = Math.max(min, opts.maxMs);
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  const random = opts.random ?? Math.random;
  let attempts = 0;

  return {
    next() {
      // 2^attempts overflows to Infinity eventually; the cap keeps the result finite.
      const ceiling = Math.min(max, min * 2 ** Math.min(attempts, 52));
      attempts++;
      const delay = ceiling * (1 - jitter * random());
      return Math.round(Math.min(max, Math.max(min, delay)));
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}
