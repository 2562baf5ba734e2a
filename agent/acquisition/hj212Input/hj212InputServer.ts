import { createServer, type Server, type Socket } from 'node:net';
import type { CodecOptions } from '../../../drivers/hj212/codecOptions.js';
import { createQnGenerator } from '../../../drivers/hj212/qn.js';
import { sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import { DEFAULT_TIME_ZONE } from '../../../drivers/hj212/time.js';
import type { Logger } from '../../core/log.js';
import { InputCounters } from './inputCounters.js';
import type { InputCountersSnapshot, LoggerConfig } from './inputTypes.js';
import { codecLookup, LoggerConnection } from './loggerConnection.js';
import { MemorySeen, type SeenPort } from './seenPort.js';
import type { HandlerContext, InputCallbacks } from './uploadHandler.js';

export interface Hj212InputOptions extends InputCallbacks {
  /** Address to listen on; default 0.0.0.0 (the logger is another box on the station LAN). */
  host?: string;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  loggers: readonly LoggerConfig[];
  /** Zone of the loggers' DataTime; default Asia/Shanghai. */
  timeZone?: string;
  /** Dedupe memory; default an in-memory window (MemorySeen), forgotten on restart. */
  seen?: SeenPort;
  log: Logger;
  /** At most this many logger connections at once (a logger holds one; extra ones are refused). */
  maxConnections?: number;
  now?: () => number;
}

/**
 * A logger's older connection is closed when the logger has connected again and the old one has
 * received nothing for this long: a logger that lost power or its link never closed it, and the
 * agent never writes unasked, so TCP alone would keep it open for good and, one power cut after
 * another, fill `maxConnections` until the logger is refused. A logger that really keeps two
 * connections busy at once keeps both.
 */
export const STALE_AFTER_MS = 30_000;
/** TCP keepalive probes start after this much silence (the kernel's count and interval apply). */
const KEEPALIVE_MS = 60_000;

export interface Hj212InputServer {
  /** Listens; resolves with the address actually bound. */
  start(): Promise<{ host: string; port: number }>;
  /** Stops listening and closes every logger connection. */
  stop(): Promise<void>;
  counters(): InputCountersSnapshot;
  /** Resolves once every frame received so far was handled and answered (for tests and shutdown). */
  drained(): Promise<void>;
}

/** Checks the logger list the way a config error would be reported: throws on the first problem. */
function codecOptionsOf(loggers: readonly LoggerConfig[]): Map<string, CodecOptions> {
  const keys = new Map<string, CodecOptions>();
  const mns = new Set<string>();
  for (const l of loggers) {
    const mn = l.mn.trim().toUpperCase();
    if (mn === '') throw new Error(`hj212 input: logger ${l.device} has an empty MN`);
    if (mns.has(mn)) throw new Error(`hj212 input: MN ${l.mn} is configured twice`);
    mns.add(mn);
    const opts: CodecOptions = {};
    if (l.sm4Key !== undefined) opts.sm4 = { ...l.sm4Layout, key: sm4KeyFromText(l.sm4Key) };
    keys.set(l.device, opts);
  }
  return keys;
}

export function createHj212InputServer(opts: Hj212InputOptions): Hj212InputServer {
  const keys = codecOptionsOf(opts.loggers);
  const now = opts.now ?? Date.now;
  const counters = new InputCounters(opts.log);
  const ctx: HandlerContext = {
    loggers: opts.loggers,
    timeZone: opts.timeZone ?? DEFAULT_TIME_ZONE,
    seen: opts.seen ?? new MemorySeen(),
    counters,
    qn: createQnGenerator({ clock: { now }, timeZone: opts.timeZone ?? DEFAULT_TIME_ZONE }),
    onRealtime: (r) => opts.onRealtime(r),
    onAggregates: (r) => opts.onAggregates(r),
  };
  const codecOf = codecLookup(ctx, keys);
  const sockets = new Set<Socket>();
  const connections = new Set<LoggerConnection>();
  /** The connections each configured logger (device) has sent frames on. */
  const byLogger = new Map<string, Set<LoggerConnection>>();
  let server: Server | undefined;

  const closeStale = (device: string, current: LoggerConnection) => {
    const conns = byLogger.get(device) ?? new Set<LoggerConnection>();
    byLogger.set(device, conns);
    if (conns.has(current)) return;
    for (const old of conns) {
      if (now() - old.lastDataAt < STALE_AFTER_MS) continue;
      conns.delete(old);
      counters.staleClosed();
      opts.log.info(
        { device, peer: old.socket.remoteAddress, silentMs: now() - old.lastDataAt },
        'hj212 input: the logger connected again; its previous, silent connection is closed',
      );
      old.socket.destroy();
    }
    conns.add(current);
  };

  return {
    start() {
      const s = createServer((socket) => {
        counters.connection();
        sockets.add(socket);
        socket.setKeepAlive(true, KEEPALIVE_MS);
        const conn = new LoggerConnection(socket, ctx, codecOf, now, closeStale);
        connections.add(conn);
        opts.log.info({ peer: socket.remoteAddress }, 'hj212 input: logger connected');
        socket.on('close', () => {
          sockets.delete(socket);
          for (const conns of byLogger.values()) conns.delete(conn);
          void conn.drained().then(() => connections.delete(conn));
        });
      });
      s.maxConnections = opts.maxConnections ?? 16;
      server = s;
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(opts.port, opts.host ?? '0.0.0.0', () => {
          s.off('error', reject);
          const a = s.address();
          if (a === null || typeof a === 'string') return reject(new Error('hj212 input: no TCP address'));
          resolve({ host: a.address, port: a.port });
        });
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
      await Promise.all([...connections].map((c) => c.drained()));
    },
    counters: () => counters.snapshot(),
    async drained() {
      await Promise.all([...connections].map((c) => c.drained()));
    },
  };
}
