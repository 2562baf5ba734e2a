import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../../agent/http/metrics.js';
import type { OperationsStatus } from '../../../agent/http/statusReport.js';

/** `name{labels} value` lines of a scrape, keyed by name plus sorted labels; comments dropped. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    // Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]* (nodejs_eventloop_lag_p50_seconds has digits).
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels = (m[2] ?? '')
      .split(',')
      .filter((l) => l !== '')
      .sort()
      .join(',');
    out.set(labels ? `${m[1]}{${labels}}` : (m[1] as string), Number(m[3]));
  }
  return out;
}

function fakeStatus(over: Partial<OperationsStatus['uplinks'][number]> = {}): OperationsStatus {
  return {
    station: { id: 's1', name: '', configHash: 'abc', now: 1_000_000 },
    devices: [],
    seriesFrom: 0,
    uplinks: [
      {
        id: 'center',
        connected: true,
        backlog: 42,
        oldestUnsentTs: 940_000,
        oldestUnsentAgeS: 60,
        confirmed: 100,
        lastConfirmAt: 999_000,
        lastError: null,
        ...over,
      },
    ],
    store: { path: '/x/agent.db', bytes: 123_456, freeBytes: 1e9 },
    events: [],
  };
}

describe('agent metrics', () => {
  it('counts polls, failures by code, latency per bus and stored readings where they happen', async () => {
    const m = createAgentMetrics(() => fakeStatus());
    m.sink.pollDone({ device: 'sonde', bus: 'lan', ok: true, durationMs: 20, errorCodes: [] });
    m.sink.pollDone({
      device: 'sonde',
      bus: 'lan',
      ok: false,
      durationMs: 600,
      errorCodes: ['MODBUS_TIMEOUT'],
    });
    m.sink.pollDone({
      device: 'sonde',
      bus: 'lan',
      ok: false,
      durationMs: -1,
      errorCodes: ['DEVICE_ISOLATED'],
    });
    m.sink.readingsStored('sonde', 5);
    m.sink.readingsStored('sonde', 5);
    const s = parse(await m.scrape());
    expect(s.get('station_agent_polls_total{bus="lan",device="sonde"}')).toBe(3);
    expect(s.get('station_agent_poll_failures_total{bus="lan",code="MODBUS_TIMEOUT",device="sonde"}')).toBe(
      1,
    );
    expect(s.get('station_agent_poll_failures_total{bus="lan",code="DEVICE_ISOLATED",device="sonde"}')).toBe(
      1,
    );
    // The skipped slot of an isolated unit asked nothing: no latency sample.
    expect(s.get('station_agent_poll_duration_seconds_count{bus="lan"}')).toBe(2);
    expect(s.get('station_agent_poll_duration_seconds_bucket{bus="lan",le="0.025"}')).toBe(1);
    expect(s.get('station_agent_poll_duration_seconds_bucket{bus="lan",le="1"}')).toBe(2);
    expect(s.get('station_agent_readings_stored_total{device="sonde"}')).toBe(10);
  });

  it('reads uplink and store figures from the status at scrape time', async () => {
    const m = createAgentMetrics(() => fakeStatus());
    const s = parse(await m.scrape());
    expect(s.get('station_agent_uplink_backlog{uplink="center"}')).toBe(42);
    expect(s.get('station_agent_uplink_oldest_unsent_age_seconds{uplink="center"}')).toBe(60);
    expect(s.get('station_agent_uplink_connected{uplink="center"}')).toBe(1);
    expect(s.get('station_agent_uplink_confirmed_total{uplink="center"}')).toBe(100);
    expect(s.get('station_agent_store_size_bytes')).toBe(123_456);
  });

  it('keeps confirmations monotonic when a reload restarts the uplink count', async () => {
    let status = fakeStatus({ confirmed: 100 });
    const m = createAgentMetrics(() => status);
    await m.scrape();
    status = fakeStatus({ confirmed: 7 }); // a new uplink instance after a reload
    expect(parse(await m.scrape()).get('station_agent_uplink_confirmed_total{uplink="center"}')).toBe(107);
    status = fakeStatus({ confirmed: 10 });
    expect(parse(await m.scrape()).get('station_agent_uplink_confirmed_total{uplink="center"}')).toBe(110);
  });

  it('each agent has its own registry: nothing is shared between two', async () => {
    const a = createAgentMetrics(() => null);
    const b = createAgentMetrics(() => null);
    a.sink.pollDone({ device: 'd', bus: 'b', ok: true, durationMs: 1, errorCodes: [] });
    expect(parse(await a.scrape()).get('station_agent_polls_total{bus="b",device="d"}')).toBe(1);
    expect(parse(await b.scrape()).has('station_agent_polls_total{bus="b",device="d"}')).toBe(false);
    // No agent running: no uplink series.
    expect(parse(await b.scrape()).has('station_agent_uplink_backlog{uplink="center"}')).toBe(false);
  });

  it("carries the process's own metrics in the agent's registry, not prom-client's global one", async () => {
    const scraped = parse(await createAgentMetrics(() => null).scrape());
    expect(scraped.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(scraped.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(scraped.has('process_cpu_user_seconds_total')).toBe(true);
    expect(scraped.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(globalRegistry.getSingleMetric('process_resident_memory_bytes')).toBeUndefined();
  });
});
