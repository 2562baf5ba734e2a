/**
 * What components report as it happens, for /metrics (agent/http/metrics.ts implements it). An
 * interface handed down by the composition root rather than a global registry, so every agent (and
 * every test) has its own counters and components do not depend on prom-client.
 */
export interface MetricsSink {
  /** One poll finished: `errorCodes` are the failed requests' AgentError codes (empty when ok). */
  pollDone(p: { device: string; bus: string; ok: boolean; durationMs: number; errorCodes: string[] }): void;
  /** Readings committed to the store for `device`. */
  readingsStored(device: string, count: number): void;
  /**
   * Rows the store budget deleted (docs/storage.md): `retention` and `confirmed` lose nothing,
   * `unconfirmed` is data loss recorded as data-loss events, `dropped` readings never reached the store.
   */
  storeEvicted(p: { table: 'readings' | 'aggregates'; kind: EvictionKind; count: number }): void;
  /** A damaged or foreign database file was set aside at open and a new one started (optional: rare, and sinks in tests need not count it). */
  storeSetAside?(): void;
  /**
   * An HJ 212 platform frame was received in an SM4 layout (`sm4-raw-crc-plaintext`…) or needed a
   * tolerance (`no-qn`, `length-in-chars`…: drivers/hj212/tolerance.ts). Optional, as storeSetAside.
   */
  hj212FrameVariant?(p: { uplink: string; variant: string }): void;
}

export type EvictionKind = 'retention' | 'confirmed' | 'unconfirmed' | 'dropped';

export const noMetrics: MetricsSink = {
  pollDone: () => {},
  readingsStored: () => {},
  storeEvicted: () => {},
  storeSetAside: () => {},
  hj212FrameVariant: () => {},
};
