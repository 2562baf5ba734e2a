import type { UplinkLastError } from './uplinkError.js';

/**
 * What the composition root knows of an uplink, whatever its transport (MQTT, HJ 212): it can be
 * started and stopped and reports how far behind it is. Each uplink keeps its own cursors in the
 * outbox, so one being down never holds back another.
 */
export interface UplinkStats {
  connected: boolean;
  /** Readings stored and not yet confirmed by this uplink, in-flight ones included. */
  backlog: number;
  /** ts (epoch ms) of the oldest reading not yet confirmed; null when all are. */
  oldestUnsentTs: number | null;
  /** Batches sent and awaiting their confirmation. */
  inFlight: number;
  /** Readings sent since start (a re-send counts again). */
  published: number;
  /** Readings confirmed since start. */
  confirmed: number;
  /** Wall-clock time (epoch ms) of the last confirmation; null before the first. */
  lastConfirmAt: number | null;
  /** Aggregate records stored and not yet confirmed; 0 when the uplink sends none. */
  aggregatesBacklog: number;
  /**
   * Why the uplink is not connected: the last connection failure (or lost connection), with `at` the
   * time of the first failure of the current run; null while connected and before the first attempt ends.
   */
  lastError: UplinkLastError | null;
}

export interface Uplink {
  readonly id: string;
  /** Starts connecting; what is stored after the cursors is sent once connected. Once only. */
  start(): void;
  /** Graceful and bounded stop (a few seconds at most). */
  stop(): Promise<void>;
  stats(): UplinkStats;
}
