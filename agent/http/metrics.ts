import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsSink } from '../core/metricsSink.js';
import type { OperationsStatus } from './statusReport.js';

/**
 * Prometheus metrics of one agent process, in its own Registry (never prom-client's global one, so
 * tests and several agents in one process do not share counters). Poll counters are incremented
 * where polls happen (through the MetricsSink); uplink and store figures are read from the current
 * status at scrape time, so they are never stale and need no bookkeeping in the uplinks.
 */
export interface AgentMetrics {
  readonly registry: Registry;
  readonly sink: MetricsSink;
  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string>;
}

/** Poll latencies on a field bus: a few ms on a LAN to seconds on a slow RS-485 line with retries. */
const POLL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createAgentMetrics(currentStatus: () => OperationsStatus | null): AgentMetrics {
  const registry = new Registry();
  const registers = [registry];
  // prom-client's process_* and nodejs_* metrics (CPU, memory, heap, open files, event loop lag, GC),
  // under their usual names so stock Node dashboards and alerts work; the agent's own carry
  // station_agent_. Lag is sampled every 100 ms rather than prom-client's 10 ms: enough to see a
  // stall, without waking an idle station PC a hundred times a second.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });

  const polls = new Counter({
    name: 'station_agent_polls_total',
    help: 'Polls of a device, successful or not',
    labelNames: ['device', 'bus'],
    registers,
  });
  const failures = new Counter({
    name: 'station_agent_poll_failures_total',
    help: 'Failed requests of polls, by error code (docs/errors.md)',
    labelNames: ['device', 'bus', 'code'],
    registers,
  });
  const latency = new Histogram({
    name: 'station_agent_poll_duration_seconds',
    help: 'Time one poll of a device took, per bus',
    labelNames: ['bus'],
    buckets: POLL_BUCKETS,
    registers,
  });
  const stored = new Counter({
    name: 'station_agent_readings_stored_total',
    help: 'Readings committed to the local store',
    labelNames: ['device'],
    registers,
  });
  const evicted = new Counter({
    name: 'station_agent_store_evicted_total',
    help: 'Rows deleted by the store budget (docs/storage.md); kind unconfirmed or dropped is data loss',
    labelNames: ['table', 'kind'],
    registers,
  });
  const hj212Variants = new Counter({
    name: 'station_agent_hj212_frame_variants_total',
    help: 'HJ 212 platform frames by SM4 layout, and frames accepted despite a deviation (docs/hj212.md)',
    labelNames: ['uplink', 'variant'],
    registers,
  });
  const setAside = new Counter({
    name: 'station_agent_store_set_aside_total',
    help: 'Damaged or foreign database files set aside (renamed, kept) and replaced by a new one',
    registers,
  });

  // Scrape-time figures: each collect() resets the gauge so a removed uplink or device disappears.
  new Gauge({
    name: 'station_agent_uplink_backlog',
    help: 'Readings stored and not yet confirmed by the uplink',
    labelNames: ['uplink'],
    registers,
    collect() {
      this.reset();
      for (const u of currentStatus()?.uplinks ?? []) this.set({ uplink: u.id }, u.backlog);
    },
  });
  new Gauge({
    name: 'station_agent_uplink_oldest_unsent_age_seconds',
    help: 'Age of the oldest reading the uplink has not had confirmed; 0 when none',
    labelNames: ['uplink'],
    registers,
    collect() {
      this.reset();
      for (const u of currentStatus()?.uplinks ?? []) this.set({ uplink: u.id }, u.oldestUnsentAgeS ?? 0);
    },
  });
  new Gauge({
    name: 'station_agent_uplink_connected',
    help: '1 when the uplink is connected',
    labelNames: ['uplink'],
    registers,
    collect() {
      this.reset();
      for (const u of currentStatus()?.uplinks ?? []) this.set({ uplink: u.id }, u.connected ? 1 : 0);
    },
  });
  // An uplink's own count restarts with it on a reload; adding only the growth since the last
  // scrape keeps the exported counter monotonic across reloads, as Prometheus expects.
  const lastConfirmed = new Map<string, number>();
  new Counter({
    name: 'station_agent_uplink_confirmed_total',
    help: 'Readings the uplink had confirmed upstream (publish confirmations)',
    labelNames: ['uplink'],
    registers,
    collect() {
      for (const u of currentStatus()?.uplinks ?? []) {
        const before = lastConfirmed.get(u.id) ?? 0;
        const growth = u.confirmed >= before ? u.confirmed - before : u.confirmed;
        if (growth > 0 || before === 0) this.inc({ uplink: u.id }, growth);
        lastConfirmed.set(u.id, u.confirmed);
      }
    },
  });
  // A pushed device's driver figures (HJ 212 input): what the logger sent that no channel maps, re-sends.
  new Gauge({
    name: 'station_agent_input_unknown_codes',
    help: 'Values a pushed device (HJ 212 data logger) sent under a code no channel maps, since the start',
    labelNames: ['device', 'code'],
    registers,
    collect() {
      this.reset();
      for (const d of currentStatus()?.devices ?? [])
        for (const [code, n] of Object.entries(d.input?.unknownCodes ?? {}))
          this.set({ device: d.id, code }, n);
    },
  });
  new Gauge({
    name: 'station_agent_input_duplicates',
    help: 'Values a pushed device (HJ 212 data logger) sent again and that were dropped, since the start',
    labelNames: ['device'],
    registers,
    collect() {
      this.reset();
      for (const d of currentStatus()?.devices ?? [])
        if (d.input !== undefined) this.set({ device: d.id }, d.input.duplicates);
    },
  });
  new Gauge({
    name: 'station_agent_store_size_bytes',
    help: 'Size of the SQLite store: database plus write-ahead log',
    registers,
    collect() {
      const s = currentStatus();
      if (s) this.set(s.store.bytes);
    },
  });

  const sink: MetricsSink = {
    pollDone: (p) => {
      polls.inc({ device: p.device, bus: p.bus });
      for (const code of p.errorCodes) failures.inc({ device: p.device, bus: p.bus, code });
      if (p.durationMs >= 0) latency.observe({ bus: p.bus }, p.durationMs / 1000);
    },
    readingsStored: (device, count) => {
      stored.inc({ device }, count);
    },
    storeEvicted: (p) => {
      evicted.inc({ table: p.table, kind: p.kind }, p.count);
    },
    storeSetAside: () => {
      setAside.inc();
    },
    hj212FrameVariant: (p) => {
      hj212Variants.inc({ uplink: p.uplink, variant: p.variant });
    },
  };

  return { registry, sink, scrape: () => registry.metrics() };
}
