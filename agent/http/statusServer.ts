import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { HttpConfig } from '../config/httpSchema.js';
import { parseListen } from '../config/httpSchema.js';
import type { Logger } from '../core/log.js';
import { authorized } from './auth.js';
import type { AgentMetrics } from './metrics.js';
import { loadStatusAssets, type StatusAssets } from './statusAssets.js';
import { STATUS_PAGE_HTML } from './statusPage.js';
import type { OperationsStatus } from './statusReport.js';
import { parseTrendQuery, type TrendAnswer, type TrendQuery } from './trendReport.js';

/**
 * The agent's HTTP server: the status page, /api/status, /api/events (server-sent events, the status
 * every second), /api/trend (one channel's chart data), the page's chart library under /assets/ and
 * /metrics. Every path needs the token when one is configured. It belongs to the supervisor and
 * survives reloads: every request asks `currentStatus()`, i.e. whichever agent is running at that moment.
 */
export interface StatusServerDeps {
  config: HttpConfig;
  currentStatus: () => OperationsStatus | null;
  metrics: AgentMetrics;
  log: Logger;
  /** One channel's recent points for /api/trend; null while no agent runs (a reload). Absent: 404. */
  channelTrend?: (query: TrendQuery) => TrendAnswer | null;
  /** The page's static files; read from node_modules when the server starts unless given. */
  assets?: StatusAssets;
  /** How often /api/events pushes the status; 1 s unless a test wants it faster. */
  eventsIntervalMs?: number;
}

export class StatusServer {
  private readonly deps: StatusServerDeps;
  private server: Server | null = null;
  private readonly streams = new Set<ServerResponse>();
  private assets: StatusAssets = new Map();

  constructor(deps: StatusServerDeps) {
    this.deps = deps;
  }

  /**
   * Binds the listen address. A failure (port in use, address not on this host) is logged, not
   * thrown: the status page is a convenience, acquisition must go on without it.
   */
  async start(): Promise<void> {
    const { config, log } = this.deps;
    const addr = parseListen(config.listen);
    if (!config.enabled || addr === null) return;
    this.assets = this.deps.assets ?? loadStatusAssets(log);
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => {
      server.once('error', (err) => {
        log.error({ err, listen: config.listen }, 'status server could not listen; continuing without it');
        resolve();
      });
      server.listen(addr.port, addr.host, () => {
        // Later errors (rare once listening) are logged too, never an uncaught 'error' event.
        server.on('error', (err) => log.error({ err }, 'status server error'));
        this.server = server;
        log.info({ listen: config.listen }, 'status server listening');
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Whatever goes wrong answering one request, the agent (and its acquisition) keeps running. */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.route(req, res);
    } catch (err) {
      this.deps.log.error({ err, url: req.url?.split('?')[0] }, 'status server request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (!authorized(this.deps.config.token, req)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
      res.end('unauthorized\n');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path.startsWith('/assets/')) {
      this.sendAsset(req, res, path);
      return;
    }
    switch (path) {
      case '/':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(STATUS_PAGE_HTML);
        return;
      case '/api/status':
        this.sendJson(res, this.deps.currentStatus());
        return;
      case '/api/events':
        this.stream(req, res);
        return;
      case '/api/trend':
        this.sendTrend(res, url.searchParams);
        return;
      case '/metrics':
        this.deps.metrics.scrape().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            this.deps.log.error({ err }, 'metrics scrape failed');
            res.writeHead(500).end();
          },
        );
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  private sendJson(res: ServerResponse, status: OperationsStatus | null): void {
    if (status === null) {
      // Between the stop of one agent and the start of the next during a reload.
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"agent not running"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(status));
  }

  private sendTrend(res: ServerResponse, params: URLSearchParams): void {
    const json = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    const parsed = parseTrendQuery(params);
    if (!parsed.ok) {
      res.writeHead(400, json).end(JSON.stringify({ error: parsed.message }));
      return;
    }
    const answer: TrendAnswer | null = this.deps.channelTrend
      ? this.deps.channelTrend(parsed.query)
      : { kind: 'unknown-channel' };
    if (answer === null) {
      res.writeHead(503, json).end('{"error":"agent not running"}');
      return;
    }
    if (answer.kind === 'unknown-channel') {
      const { device, channel } = parsed.query;
      res
        .writeHead(404, json)
        .end(JSON.stringify({ error: `no channel ${device}/${channel} in the configuration` }));
      return;
    }
    res.writeHead(200, json).end(JSON.stringify(answer.series));
  }

  private sendAsset(req: IncomingMessage, res: ServerResponse, path: string): void {
    const asset = this.assets.get(path);
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const headers = { etag: asset.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': asset.contentType,
      'content-length': asset.body.length,
    });
    res.end(asset.body);
  }

  /** Server-sent events: the whole status every interval; simple, and a page reload needs no replay. */
  private stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    const push = () => {
      try {
        const status = this.deps.currentStatus();
        if (status) res.write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
      } catch (err) {
        this.deps.log.error({ err }, 'status event failed');
      }
    };
    push();
    const timer = setInterval(push, this.deps.eventsIntervalMs ?? 1000);
    this.streams.add(res);
    req.on('close', () => {
      clearInterval(timer);
      this.streams.delete(res);
    });
  }
}
