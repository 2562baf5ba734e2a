import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { createAgentMetrics } from '../../../agent/http/metrics.js';
import type { OperationsStatus } from '../../../agent/http/statusReport.js';
import { StatusServer } from '../../../agent/http/statusServer.js';
import { freePort } from '../../../scripts/support/freePort.js';

const TOKEN = 'station-secret-0123456789';

let server: StatusServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function serve(currentStatus: () => OperationsStatus | null, token: string | null = TOKEN) {
  const port = await freePort();
  server = new StatusServer({
    config: { enabled: true, listen: `127.0.0.1:${port}`, ...(token ? { token } : {}) },
    currentStatus,
    metrics: createAgentMetrics(currentStatus),
    log: silentLogger(),
    eventsIntervalMs: 50,
  });
  await server.start();
  return `http://127.0.0.1:${port}`;
}

const STATUS: OperationsStatus = {
  station: { id: 's1', name: 'test', configHash: 'abc', now: 1 },
  devices: [],
  seriesFrom: 0,
  uplinks: [],
  store: { path: '/x/agent.db', bytes: 1, freeBytes: null },
  events: [],
};

describe('status server authentication', () => {
  it('answers 401 without the token and serves every endpoint with it', async () => {
    const base = await serve(() => null);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('station_agent_polls_total');
    const page = await fetch(`${base}/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script>');
    // No agent running (between reloads): the status says so instead of inventing one.
    expect((await fetch(`${base}/api/status?token=${TOKEN}`)).status).toBe(503);
    expect((await fetch(`${base}/nope?token=${TOKEN}`)).status).toBe(404);
  });

  it('pushes the current status as server-sent events, repeatedly', async () => {
    let n = 0;
    const base = await serve(() => ({ ...STATUS, station: { ...STATUS.station, now: ++n } }));
    const ctrl = new AbortController();
    const res = await fetch(`${base}/api/events?token=${TOKEN}`, { signal: ctrl.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while ((text.match(/event: status\n/g) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    const events = text.split('\n\n').filter((e) => e.startsWith('event: status'));
    const first = JSON.parse((events[0] as string).split('data: ')[1] as string) as OperationsStatus;
    expect(first.station.id).toBe('s1');
    expect(events.length).toBeGreaterThanOrEqual(2);
  });

  it('serves /api/status without a token when none is configured', async () => {
    const base = await serve(() => STATUS, null);
    const res = await fetch(`${base}/api/status`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as OperationsStatus).station.id).toBe('s1');
  });
});
