import type { Socket, TcpNetConnectOpts } from 'node:net';
import { heartbeat, keyRequest, type StationIdentity } from '../../../drivers/hj212/messages.js';
import type { QnSource } from '../../../drivers/hj212/qn.js';
import { formatHjTime } from '../../../drivers/hj212/time.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { ExchangeTiming, Hj212Link } from './hj212Link.js';
import type { LiveSettings } from './liveSettings.js';

/**
 * What keeps an HJ 212 connection healthy besides the data: opening it, the 2025 heartbeat (9015,
 * answered by 9013; unanswered, the connection is dropped like an unanswered upload) and the 2025
 * key rotation (a key older than `rotate` makes the station ask for a new one with 1014; the
 * platform answers 9013 and then sends a 1014 with the new key, handled as a command).
 */

/** A key request the platform did not follow up is asked again after this long. */
const KEY_REQUEST_EVERY_MS = 3_600_000;

/**
 * Opens a TCP connection; `onOpen` gets the socket once connected, `onFail` the reason otherwise
 * (refused, unreachable, no answer to the SYN within `timeoutMs`). Exactly one of them is called.
 */
export function dial(opts: {
  connect: (o: TcpNetConnectOpts) => Socket;
  host: string;
  port: number;
  clock: Clock;
  timeoutMs: number;
  onOpen(socket: Socket): void;
  onFail(reason: string): void;
}): Socket {
  const { clock } = opts;
  const socket = opts.connect({ host: opts.host, port: opts.port });
  // A platform that never answers the SYN would otherwise hold the attempt for minutes.
  const giveUp = clock.setTimeout(() => socket.destroy(new Error('connect timeout')), opts.timeoutMs);
  const failed = (err?: Error) => {
    clock.clearTimeout(giveUp);
    socket.removeAllListeners();
    socket.on('error', () => {});
    socket.destroy();
    opts.onFail(dialFailure(err, `${opts.host}:${opts.port}`, opts.timeoutMs));
  };
  socket.once('error', failed);
  socket.once('close', () => failed());
  socket.once('connect', () => {
    clock.clearTimeout(giveUp);
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    // Without traffic (ack off, no heartbeat) a dead peer is found by TCP keepalive.
    socket.setKeepAlive(true, 30_000);
    opts.onOpen(socket);
  });
  return socket;
}

/** Why a dial failed, in words (the status page shows it as the uplink's last error). */
export function dialFailure(err: Error | undefined, target: string, timeoutMs: number): string {
  if (err === undefined) return `connection to ${target} closed before it opened`;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return `connection refused — nothing listens at ${target} (platform down, or wrong host/port)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found — check host and the station's DNS (${target})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return `${target} is unreachable — check the station's network and route`;
    case 'ETIMEDOUT':
      return `connection to ${target} timed out — check the network and firewall`;
  }
  if (err.message === 'connect timeout') {
    return `no answer from ${target} within ${Math.round(timeoutMs / 1000)} s — check the network and firewall`;
  }
  return `connection to ${target} failed: ${err.message}`;
}

export interface UpkeepDeps {
  uplinkId: string;
  /** 0: no heartbeat (2017, or turned off). */
  heartbeatMs: number;
  ack: boolean;
  /** 0: never rotate; only with a key. */
  rotateMs: number;
  timeZone: string;
  settings: LiveSettings;
  identity(): StationIdentity;
  timing(): ExchangeTiming;
  qn: QnSource;
  clock: Clock;
  log: Logger;
}

export class LinkUpkeep {
  private timer: TimerHandle | null = null;
  private link: Hj212Link | null = null;
  private lastKeyRequest = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: UpkeepDeps) {}

  /** A connection opened: heartbeats start, the key's age is checked. */
  start(link: Hj212Link): void {
    this.stop();
    this.link = link;
    this.arm();
    this.maybeRotateKey();
  }

  stop(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.link = null;
  }

  private arm(): void {
    const { heartbeatMs, clock } = this.deps;
    if (heartbeatMs <= 0) return;
    this.timer = clock.setTimeout(() => this.beat(), heartbeatMs);
  }

  private beat(): void {
    this.timer = null;
    const link = this.link;
    if (link === null) return;
    const { ack, identity, qn, timing, log, uplinkId } = this.deps;
    link.send(heartbeat(identity(), qn.next(), ack), ack ? timing() : null).then(
      () => {
        if (this.link !== link) return;
        this.arm();
        // A connection may outlive a key: the heartbeat is also when its age is checked.
        this.maybeRotateKey();
      },
      (err: unknown) => {
        if (this.link !== link) return;
        log.warn({ err, uplink: uplinkId }, 'HJ 212 heartbeat not answered; reconnecting');
        link.close('heartbeat not answered');
      },
    );
  }

  private maybeRotateKey(): void {
    const { rotateMs, settings, clock, log, uplinkId, timeZone } = this.deps;
    const link = this.link;
    const now = clock.now();
    if (link === null || rotateMs <= 0 || settings.sm4Key === undefined) return;
    if (now - settings.sm4KeyCreatedAt < rotateMs || now - this.lastKeyRequest < KEY_REQUEST_EVERY_MS) return;
    this.lastKeyRequest = now;
    const created = formatHjTime(settings.sm4KeyCreatedAt, { timeZone });
    link.send(keyRequest(this.deps.identity(), this.deps.qn.next(), created), this.deps.timing()).then(
      () =>
        log.info(
          { uplink: uplinkId },
          'HJ 212 SM4 key is due for rotation: asked the platform for a new one',
        ),
      (err: unknown) => log.warn({ err, uplink: uplinkId }, 'HJ 212 key request not answered'),
    );
  }
}
