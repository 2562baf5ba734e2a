import type { Clock } from '../core/clock.js';

/**
 * Why an uplink is not connected, for `/api/status` and `station-agent status` (`uplinks[].lastError`).
 * `at` is when the current run of failures began (epoch ms), so "since 08:02" stays put while the
 * broker keeps refusing; a successful connection clears it.
 */
export interface UplinkLastError {
  /** What went wrong, in words, e.g. "connection refused — nothing listens at 10.0.0.5:1883". */
  message: string;
  /** Stable error code (docs/errors.md), e.g. UPLINK_AUTH_FAILED; null when unclassified. */
  code: string | null;
  /** Epoch ms of the first failure of the current run of failures. */
  at: number;
}

export class LastConnectionError {
  private value: UplinkLastError | null = null;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  /** A connection attempt failed, or an open connection was lost. Keeps `at` of the run's first failure. */
  failed(message: string, code: string | null): void {
    this.value = { message, code, at: this.value?.at ?? this.clock.now() };
  }

  /** Connected: the run of failures is over. */
  connected(): void {
    this.value = null;
  }

  get current(): UplinkLastError | null {
    return this.value;
  }
}
