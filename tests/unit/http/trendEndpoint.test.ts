import { afterEach, describe, expect, it } from 'vitest';
import type { StationAgent } from '../../../agent/app/stationAgent.js';
import { silentLogger } from '../../../agent/core/log.js';
import { createAgentMetrics } from '../../../agent/http/metrics.js';
import { loadStatusAssets } from '../../../agent/http/statusAssets.js';
import { StatusServer } from '../../../agent/http/statusServer.js';
import {
  channelTrend,
  parseTrendQuery,
  type TrendAnswer,
  type TrendQuery,
} from '../../../agent/http/trendReport.js';
import type { TrendPoint } from '../../../agent/store/channelTrend.js';
import { freePort } from '../../../scripts/support/freePort.js';

/** Issue 14: /api/trend and the chart library, served by the agent itself under the token rules. */

const TOKEN = 'station-secret-0123456789';
const NOW = Date.UTC(2026, 10, 28, 9, 0, 0);

let server: StatusServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function serve(
  trend: ((q: TrendQuery) => TrendAnswer | null) | undefined,
  token: string | null = TOKEN,
) {
  const port = await freePort();
  server = new StatusServer({
    config: { enabled: true, listen: `127.0.0.1:${port}`, ...(token ? { token } : {}) },
    currentStatus: () => null,
    ...(trend ? { channelTrend: trend } : {}),
    metrics: createAgentMetrics(() => null),
    log: silentLogger(),
  });
  await server.start();
  return `http://127.0.0.1:${port}`;
}

/** A stand-in agent: its config and the one store query channelTrend makes, recorded. */
function fakeAgent(points: TrendPoint[]) {
  const calls: unknown[][] = [];
  const agent = {
    config: {
      devices: [
        {
          id: 'nutrient',
          interval: 10_000,
          channels: [
            { id: 'cod', unit: 'mg/L' },
            { id: 'tp', cycle: 3_600_000 },
          ],
        },
      ],
    },
    channelHistory: (...args: unknown[]) => {
      calls.push(args);
      return points.slice();
    },
  };
  return { agent: agent as unknown as StationAgent, calls };
}

describe('channelTrend', () => {
  it('asks the store for the last hour of readings and answers in columns', () => {
    const { agent, calls } = fakeAgent([
      { ts: NOW - 20_000, value: 25.5, flag: 'N' },
      { ts: NOW - 10_000, value: null, flag: 'B' },
    ]);
    const answer = channelTrend(agent, { device: 'nutrient', channel: 'cod', range: 'hour' }, NOW);
    expect(calls).toEqual([['readings', 'nutrient', 'cod', NOW - 3_600_000, NOW + 1, 20_001]]);
    expect(answer).toEqual({
      kind: 'ok',
      series: {
        device: 'nutrient',
        channel: 'cod',
        range: 'hour',
        from: NOW - 3_600_000,
        to: NOW,
        stepMs: 10_000,
        unit: 'mg/L',
        t: [NOW - 20_000, NOW - 10_000],
        v: [25.5, null],
        f: ['N', 'B'],
        truncated: false,
      },
    });
  });

  it('the day is minute records; a cycle analyzer steps by its cycle; unknown channels are said so', () => {
    const { agent, calls } = fakeAgent([]);
    const day = channelTrend(agent, { device: 'nutrient', channel: 'tp', range: 'day' }, NOW);
    expect(calls[0]).toEqual(['minutes', 'nutrient', 'tp', NOW - 86_400_000, NOW + 1, 1501]);
    expect(day.kind === 'ok' && day.series.stepMs).toBe(60_000);
    const hour = channelTrend(agent, { device: 'nutrient', channel: 'tp', range: 'hour' }, NOW);
    expect(hour.kind === 'ok' && hour.series.stepMs).toBe(3_600_000);
    expect(channelTrend(agent, { device: 'nutrient', channel: 'nope', range: 'hour' }, NOW)).toEqual({
      kind: 'unknown-channel',
    });
    expect(channelTrend(agent, { device: 'nope', channel: 'cod', range: 'hour' }, NOW).kind).toBe(
      'unknown-channel',
    );
  });

  it('more points than the limit: the newest, and says so', () => {
    const many = Array.from({ length: 20_001 }, (_, i) => ({
      ts: NOW - 20_001 + i,
      value: i,
      flag: 'N' as const,
    }));
    const answer = channelTrend(
      fakeAgent(many).agent,
      { device: 'nutrient', channel: 'cod', range: 'hour' },
      NOW,
    );
    expect(answer.kind === 'ok' && answer.series.t.length).toBe(20_000);
    expect(answer.kind === 'ok' && answer.series.v[0]).toBe(1);
    expect(answer.kind === 'ok' && answer.series.truncated).toBe(true);
  });

  it('parses the query, with hour as the default range', () => {
    const q = (s: string) => parseTrendQuery(new URLSearchParams(s));
    expect(q('device=d&channel=c')).toEqual({
      ok: true,
      query: { device: 'd', channel: 'c', range: 'hour' },
    });
    expect(q('device=d&channel=c&range=day')).toMatchObject({ ok: true, query: { range: 'day' } });
    expect(q('device=d&channel=c&range=week')).toEqual({
      ok: false,
      message: 'range: expected hour or day, got "week"',
    });
    expect(q('device=d')).toMatchObject({ ok: false });
  });
});

describe('/api/trend and /assets over HTTP', () => {
  const series = (q: TrendQuery): TrendAnswer => ({
    kind: 'ok',
    series: { ...q, from: 0, to: 1, stepMs: 1000, unit: null, t: [0], v: [1], f: ['N'], truncated: false },
  });

  it('needs the token like every other path', async () => {
    const base = await serve(series);
    expect((await fetch(`${base}/api/trend?device=d&channel=c`)).status).toBe(401);
    expect((await fetch(`${base}/assets/uplot.js`)).status).toBe(401);
    expect((await fetch(`${base}/assets/uplot.js?token=wrong`)).status).toBe(401);
    const ok = await fetch(`${base}/api/trend?device=d&channel=c&range=day&token=${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ device: 'd', channel: 'c', range: 'day', t: [0] });
  });

  it('answers 400 for a bad query, 404 for an unknown channel, 503 between agents', async () => {
    let answer: TrendAnswer | null = { kind: 'unknown-channel' };
    const base = await serve(() => answer);
    const get = (qs: string) =>
      fetch(`${base}/api/trend?${qs}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const bad = await get('device=d&channel=c&range=year');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'range: expected hour or day, got "year"' });
    const unknown = await get('device=d&channel=c');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no channel d/c in the configuration' });
    answer = null;
    expect((await get('device=d&channel=c')).status).toBe(503);
  });

  it('serves uPlot from node_modules, revalidated by its ETag', async () => {
    const base = await serve(undefined, null);
    const js = await fetch(`${base}/assets/uplot.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toMatch(/^\/\*! https:\/\/github.com\/leeoniya\/uPlot/);
    const etag = js.headers.get('etag') as string;
    expect((await fetch(`${base}/assets/uplot.js`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const css = await fetch(`${base}/assets/uplot.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('.uplot');
    expect((await fetch(`${base}/assets/other.js`)).status).toBe(404);
  });

  it('reads both library files at start without logging a problem', () => {
    const errors: unknown[] = [];
    const assets = loadStatusAssets({ error: (obj: unknown) => errors.push(obj) } as never);
    expect([...assets.keys()]).toEqual(['/assets/uplot.js', '/assets/uplot.css']);
    expect(errors).toEqual([]);
  });
});
