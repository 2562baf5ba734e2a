import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { CodecOptions } from '../../drivers/hj212/codec.js';
import type { HistoryCn, Hj212Version } from '../../drivers/hj212/codes.js';
import { buildCommand, type PlatformCommand } from '../../drivers/hj212/commands.js';
import type { DataSegment } from '../../drivers/hj212/dataSegment.js';
import type { StationIdentity } from '../../drivers/hj212/messages.js';
import { createQnGenerator } from '../../drivers/hj212/qn.js';
import { sm4KeyFromText } from '../../drivers/hj212/sm4.js';
import type { Sm4Layout, Sm4Setting } from '../../drivers/hj212/sm4Layout.js';
import { DEFAULT_TIME_ZONE } from '../../drivers/hj212/time.js';
import { type ExchangeResult, Exchanges, executed } from './exchanges.js';
import {
  type PlatformEvent,
  type ReceivedFrame,
  type ReceivedRejection,
  Recorded,
  type SentFrame,
  type StationConnection,
} from './records.js';
import { type SessionContext, StationSession } from './stationSession.js';

export interface PlatformOptions {
  /** 0 (default): a free port, see `handle.port`. */
  port?: number;
  host?: string;
  /** The edition the platform speaks (Flag of its frames). Stations of any edition are accepted. */
  version: Hj212Version;
  /** Stations must present this MN (else 9011 QnRtn 4); absent: any. */
  mn?: string;
  /** Stations must present this password (else 9011 QnRtn 3); absent: any. */
  pw?: string;
  /** ST in commands sent before a station has said its own. Default 32. */
  st?: string;
  /** Answer 9014/9013 when a station asks. Off simulates a platform that swallows data. */
  ack: boolean;
  /** SM4 key (16 characters) for HJ 212-2025 encryption; absent: plaintext. */
  sm4Key?: string;
  /**
   * The SM4 layout this platform sends in (sm4Layout.ts; default the standard's). Stations' frames
   * are read in any layout, and each frame records the one it came in (`ReceivedFrame.variant`).
   */
  layout?: Partial<Sm4Layout>;
  /** Wall clock for QNs and recorded times. */
  clock?: { now(): number };
  timeZone?: string;
  onEvent?: (e: PlatformEvent) => void;
}

export interface PlatformHandle {
  readonly host: string;
  readonly port: number;
  /** Every frame accepted, from all connections, in order. */
  readonly frames: readonly ReceivedFrame[];
  readonly rejections: readonly ReceivedRejection[];
  readonly sent: readonly SentFrame[];
  readonly stations: readonly StationConnection[];
  /** Errors while handling frames: a test should expect none. */
  readonly faults: readonly Error[];
  /** Frames received per SM4 layout (`sm4-hex-crc-ciphertext`…) and per tolerance (`no-qn`…). */
  readonly variants: ReadonlyMap<string, number>;
  /** The password now expected (changes after an executed 1072). */
  readonly password: string | undefined;
  /** The SM4 key now in use (changes after an executed 1014). */
  readonly sm4Key: string | undefined;
  /** Sends a command or a ready-made segment; returns its QN. Default station: the latest open one. */
  send(what: PlatformCommand | DataSegment, opts?: { station?: number }): string;
  /** The header commands to a station carry (its MN, ST, the current password, our edition). */
  identity(opts?: { station?: number }): StationIdentity;
  /** A fresh QN from the platform's generator, for hand-built segments. */
  nextQn(): string;
  /** Sends raw bytes (broken frames for the station's decoder). */
  sendRaw(bytes: Uint8Array, opts?: { station?: number }): void;
  /** Sends a command and resolves when the station's exchange for it ends (9012, 9013 or a refusing 9011). */
  request(cmd: PlatformCommand, opts?: { station?: number; timeoutMs?: number }): Promise<ExchangeResult>;
  requestHistory(
    cn: HistoryCn,
    beginTime: string,
    endTime: string,
    opts?: { station?: number; timeoutMs?: number },
  ): Promise<ExchangeResult>;
  waitFor(pred: (f: ReceivedFrame) => boolean, timeoutMs?: number): Promise<ReceivedFrame>;
  waitForRejection(pred?: (r: ReceivedRejection) => boolean, timeoutMs?: number): Promise<ReceivedRejection>;
  /** Resolves with the first connection after `after` connections (default: any). */
  waitForStation(opts?: { after?: number; timeoutMs?: number }): Promise<StationConnection>;
  setAck(on: boolean): void;
  /** Drops every station connection (the stations see a reset); the port stays open. */
  dropConnections(): void;
  /** Down: the port is closed and connections dropped (stations get ECONNREFUSED). Up: listens again. */
  setDown(down: boolean): Promise<void>;
  stop(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5000;
const KEY_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

/** A random 16-character key, as a platform hands out with 1014. */
export function randomSm4Key(): string {
  return [...randomBytes(16)].map((b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
}

/**
 * A monitoring platform for tests and demos: a TCP server that accepts stations, validates and records
 * every frame, answers as a platform does, and sends commands. See docs/hj212.md.
 */
export async function startPlatform(opts: PlatformOptions): Promise<PlatformHandle> {
  const host = opts.host ?? '127.0.0.1';
  const clock = opts.clock ?? { now: () => Date.now() };
  const sm4 = (key: string): Sm4Setting => ({ key: sm4KeyFromText(key), ...opts.layout });
  const codec: CodecOptions = {};
  let sm4Key = opts.sm4Key;
  if (sm4Key !== undefined) codec.sm4 = sm4(sm4Key);
  const variants = new Map<string, number>();
  let password = opts.pw;
  let ack = opts.ack;

  const frames = new Recorded<ReceivedFrame>();
  const rejections = new Recorded<ReceivedRejection>();
  const sent = new Recorded<SentFrame>();
  const connections = new Recorded<StationConnection>();
  const faults: Error[] = [];
  const sessions = new Map<number, StationSession>();

  const exchanges = new Exchanges((r) => {
    // Settings change only once the station says it executed them, as a real platform would.
    if (!executed(r) || r.command === undefined) return;
    if (r.command.kind === 'set-password') password = r.command.newPw;
    if (r.command.kind === 'key-exchange') {
      sm4Key = r.command.newSk;
      codec.sm4 = sm4(sm4Key);
    }
  });

  const ctx: SessionContext = {
    version: opts.version,
    codec,
    ack: () => ack,
    expected: () => ({
      ...(opts.mn === undefined ? {} : { mn: opts.mn }),
      ...(password === undefined ? {} : { pw: password }),
    }),
    defaultSt: opts.st ?? '32',
    qn: createQnGenerator({ clock, timeZone: opts.timeZone ?? DEFAULT_TIME_ZONE }),
    now: () => clock.now(),
    timeZone: opts.timeZone ?? DEFAULT_TIME_ZONE,
    newKey: randomSm4Key,
    frames,
    rejections,
    sent,
    exchanges,
    variants,
    emit: (e) => opts.onEvent?.(e),
    fault: (err) => faults.push(err),
  };

  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const conn: StationConnection = {
      id: connections.items.length + 1,
      remote: `${socket.remoteAddress}:${socket.remotePort}`,
      connectedAt: clock.now(),
    };
    sessions.set(conn.id, new StationSession(conn, socket, ctx));
    connections.push(conn);
    ctx.emit({ kind: 'connected', station: conn });
  };

  let server: Server | undefined;
  const listen = (port: number) =>
    new Promise<Server>((resolve, reject) => {
      const srv = createServer(onConnection);
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve(srv);
      });
    });
  const close = (srv: Server) => new Promise<void>((resolve) => srv.close(() => resolve()));
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };

  server = await listen(opts.port ?? 0);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (opts.port ?? 0);

  const session = (station?: number): StationSession => {
    if (station !== undefined) {
      const s = sessions.get(station);
      if (s === undefined || !s.open) throw new Error(`platform: station connection ${station} is not open`);
      return s;
    }
    const open = [...sessions.values()].filter((s) => s.open);
    const latest = open[open.length - 1];
    if (latest === undefined) throw new Error('platform: no station is connected');
    return latest;
  };

  const handle: PlatformHandle = {
    host,
    port,
    frames: frames.items,
    rejections: rejections.items,
    sent: sent.items,
    stations: connections.items,
    faults,
    variants,
    get password() {
      return password;
    },
    get sm4Key() {
      return sm4Key;
    },
    send(what, o = {}) {
      const s = session(o.station);
      if ('kind' in what) {
        const qn = ctx.qn.next();
        s.send(buildCommand(s.identity(), qn, what));
        return qn;
      }
      s.send(what);
      return what.qn;
    },
    identity(o = {}) {
      return session(o.station).identity();
    },
    nextQn: () => ctx.qn.next(),
    sendRaw(bytes, o = {}) {
      session(o.station).sendRaw(bytes);
    },
    request(cmd, o = {}) {
      return session(o.station).request(cmd, o.timeoutMs ?? DEFAULT_WAIT_MS);
    },
    requestHistory(cn, beginTime, endTime, o = {}) {
      return handle.request({ kind: 'history', cn, beginTime, endTime }, o);
    },
    waitFor(pred, timeoutMs = DEFAULT_WAIT_MS) {
      return frames.waitFor(pred, timeoutMs, 'frame');
    },
    waitForRejection(pred = () => true, timeoutMs = DEFAULT_WAIT_MS) {
      return rejections.waitFor(pred, timeoutMs, 'rejection');
    },
    waitForStation(o = {}) {
      const after = o.after ?? 0;
      return connections.waitFor((c) => c.id > after, o.timeoutMs ?? DEFAULT_WAIT_MS, 'station connection');
    },
    setAck(on) {
      ack = on;
    },
    dropConnections: dropAll,
    async setDown(down) {
      if (down && server !== undefined) {
        const srv = server;
        server = undefined;
        dropAll();
        await close(srv);
      } else if (!down && server === undefined) {
        server = await listen(port);
      }
    },
    async stop() {
      exchanges.closeAll();
      if (server === undefined) return;
      const srv = server;
      server = undefined;
      dropAll();
      await close(srv);
    },
  };
  return handle;
}
