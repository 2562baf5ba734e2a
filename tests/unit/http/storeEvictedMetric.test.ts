import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../../agent/http/metrics.js';

describe('store eviction metric', () => {
  it('counts evicted rows by table and kind, data loss apart from routine retention', async () => {
    const m = createAgentMetrics(() => null);
    m.sink.storeEvicted({ table: 'readings', kind: 'retention', count: 500 });
    m.sink.storeEvicted({ table: 'readings', kind: 'unconfirmed', count: 7 });
    m.sink.storeEvicted({ table: 'readings', kind: 'unconfirmed', count: 3 });
    m.sink.storeEvicted({ table: 'aggregates', kind: 'confirmed', count: 2 });
    const text = await m.scrape();
    expect(text).toContain('station_agent_store_evicted_total{table="readings",kind="retention"} 500');
    expect(text).toContain('station_agent_store_evicted_total{table="readings",kind="unconfirmed"} 10');
    expect(text).toContain('station_agent_store_evicted_total{table="aggregates",kind="confirmed"} 2');
  });
});
