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
}

export const noMetrics: MetricsSink = {
  pollDone: () => {},
  readingsStored: () => {},
};
