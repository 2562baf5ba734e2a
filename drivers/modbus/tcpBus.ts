import { Socket } from 'node:net';
import { type Backoff, createBackoff } from '../../agent/core/backoff.js';
import type { Clock, TimerHandle } from '../../agent/core/clock.js';
import { AgentError, type ErrorCode, type ErrorContext } from '../../agent/core/errors.js';
import type { Logger } from '../../agent/core/log.js';
import { ReadyWaiters } from '../../agent/core/readyWaiters.js';
import type { ReconnectSettings } from '../serial/lineSettings.js';
import { TransactionQueue } from '../serial/transactionQueue.js';
import { MbapFrameWatch } from './mbapWatch.js';
import { classifyClientError, createModbusClient, issueRead, type ModbusClient } from './modbusClient.js';
import { invalidReadRequest } from './readRequestLimits.js';
import type { RegisterTable } from './registers.js';

export type { ModbusClient };

/**
 * One Modbus TCP connection (a `buses:` entry of type tcp) shared by every device on it.
 *
 * Why it is more than a thin wrapper around modbus-serial:
 * - modbus-serial does not queue: two reads at once put two requests on the wire. Analyzers and
 *   TCP→RTU gateways handle one at a time, so the bus runs exactly one transaction at a time (FIFO).
 * - modbus-serial has no default timeout and none for a socket that dies mid-request; every
 *   transaction here carries its own timer as well, and a socket close rejects it at once.
 * - A late answer must never be taken for a later request. modbus-serial matches answers by MBAP
 *   transaction id and drops answers to a transaction whose timeout fired; each attempt here gets a
 *   new id, and our settle-once wrapper ignores anything arriving for an attempt already settled.
 *   Residual: ids wrap modulo 256 in modbus-serial, so only an answer arriving 256 transactions
 *   late could match a newer request (and would still have to pass its unit/function/length checks).
 * - The socket is ours (connected here, handed to modbus-serial with linkTCP): modbus-serial's
 *   TcpPort swallows the 'close' of a socket that failed with an error (ECONNRESET), which would
 *   leave us believing a dead connection is open.
 * - modbus-serial checks neither the MBAP protocol id nor a byte count against the frame length:
 *   MbapFrameWatch reads along and refuses such an answer before modbus-serial's result reaches us.
 * - Consecutive timeouts across all units (DEAD_AFTER_TIMEOUTS) mean the connection is probably
 *   half-open (gateway rebooted, NAT dropped state): close it and reconnect.
 *
 * The bus is started once and stopped once; it is not restartable.
 */

/**
 * The settings a Modbus TCP bus runs with: a `buses:` entry of type tcp (agent/config/busSchema.ts)
 * satisfies them, checked where the agent hands its config over (agent/app/createBus.ts).
 */
export interface TcpBusConfig {
  id: string;
  type: 'tcp';
  host: string;
  port: number;
  /** Answer timeout, ms. */
  timeout: number;
  retries: number;
  reconnect: ReconnectSettings;
}

export interface ModbusTcpBusDeps {
  config: TcpBusConfig;
  clock: Clock;
  log: Logger;
  /** Injected for tests; a fresh client per connection keeps stale transaction state out. */
  createClient?: () => ModbusClient;
}

export interface BusStats {
  /** Attempts put on the wire (retries included). */
  transactions: number;
  timeouts: number;
  exceptions: number;
  badResponses: number;
  /** Connections opened after the first one. */
  reconnects: number;
  connectFailures: number;
  connected: boolean;
}

/** Consecutive timeouts (any unit) after which the connection is presumed dead and reopened. */
export const DEAD_AFTER_TIMEOUTS = 3;
/** Our timer fires this long after modbus-serial's, so normally modbus-serial marks its transaction timed out first. */
const GUARD_MARGIN_MS = 50;
/** Connecting: 3× the transaction timeout, at least 3 s (a TCP connect to a dead host can otherwise take minutes). */
const MIN_CONNECT_TIMEOUT_MS = 3000;

interface Connection {
  readonly socket: Socket;
  client?: ModbusClient;
  /** Linked and usable; cleared the moment we decide to drop it, before the socket's close event. */
  open: boolean;
  connectTimer?: TimerHandle;
}

interface InFlight {
  readonly conn: Connection;
  abort(message: string): void;
  /** A frame arrived that modbus-serial would take but is no Modbus answer (see mbapWatch.ts). */
  refuse(message: string): void;
}

export class ModbusTcpBus {
  readonly id: string;
  private readonly config: TcpBusConfig;
  get timeoutMs(): number {
    return this.config.timeout;
  }
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly createClient: () => ModbusClient;
  private readonly queue = new TransactionQueue();
  private readonly backoff: Backoff;
  private readonly counters = {
    transactions: 0,
    timeouts: 0,
    exceptions: 0,
    badResponses: 0,
    reconnects: 0,
    connectFailures: 0,
  };
  private conn: Connection | undefined;
  private inFlight: InFlight | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private started = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private everConnected = false;
  /** Failures since the last success: the first is a warning, repeats are debug (no log storm). */
  private failuresInARow = 0;
  private consecutiveTimeouts = 0;
  /** Callers of ready() waiting for the connection to come up. */
  private readonly readyWaiters: ReadyWaiters;

  constructor(deps: ModbusTcpBusDeps) {
    this.config = deps.config;
    this.id = deps.config.id;
    this.clock = deps.clock;
    this.readyWaiters = new ReadyWaiters(deps.clock);
    this.log = deps.log;
    this.createClient = deps.createClient ?? createModbusClient;
    this.backoff = createBackoff({ minMs: deps.config.reconnect.min, maxMs: deps.config.reconnect.max });
  }

  /** Connects in the background and keeps reconnecting until stop(). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.connect();
  }

  /** Closes the connection, rejects queued reads and cancels every timer of ours. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.readyWaiters.wakeAll(false);
    // Queued reads are not rejected here: each fails fast with its own context (unit, address) when
    // its turn comes, which is at once since nothing reaches the wire any more.
    const conn = this.conn;
    if (!conn) return;
    conn.open = false;
    await new Promise<void>((resolve) => {
      conn.socket.once('close', () => resolve());
      conn.socket.destroy();
    });
  }

  /**
   * Resolves true once connected, or false after `waitMs`. The agent waits on it before the first
   * poll so a station's first readings are not flagged B merely because the socket was still opening.
   */
  ready(waitMs: number): Promise<boolean> {
    if (this.isConnected()) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return this.readyWaiters.wait(waitMs);
  }

  isConnected(): boolean {
    return this.conn?.open === true && this.conn.client?.isOpen === true;
  }

  stats(): BusStats {
    return { ...this.counters, connected: this.isConnected() };
  }

  /**
   * Reads `count` registers (FC03 holding, FC04 input) or bits (FC01 coil, FC02 discrete, as 0/1)
   * from `unit`. Rejects with AgentError MODBUS_TIMEOUT, MODBUS_EXCEPTION, MODBUS_DISCONNECTED or
   * MODBUS_BAD_RESPONSE; a RangeError for a request no device could answer (a programming error).
   */
  read(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]> {
    const invalid = invalidReadRequest(unit, table, address, count, 0);
    if (invalid !== null) return Promise.reject(new RangeError(`invalid read: ${invalid}`));
    const ctx = { unit, table, address, count };
    // Fail fast: a device must not wait a timeout to learn the bus is down.
    if (!this.isConnected()) return Promise.reject(this.error('MODBUS_DISCONNECTED', 'not connected', ctx));
    return this.queue.run(() => this.transact(unit, table, address, count));
  }

  private async transact(
    unit: number,
    table: RegisterTable,
    address: number,
    count: number,
  ): Promise<number[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(unit, table, address, count);
      } catch (err) {
        const retryable =
          err instanceof AgentError && (err.code === 'MODBUS_TIMEOUT' || err.code === 'MODBUS_BAD_RESPONSE');
        // An exception is a definite answer and a disconnect fails every retry: neither is retried.
        if (!retryable || attempt >= this.config.retries || this.stopped) throw err;
        this.log.debug(
          { code: err.code, unit, table, address, count, attempt: attempt + 1 },
          'retrying read',
        );
      }
    }
  }

  private attempt(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]> {
    const ctx = { unit, table, address, count };
    const conn = this.conn;
    const client = conn?.client;
    if (this.stopped || !conn || !conn.open || !client || !client.isOpen) {
      return Promise.reject(this.error('MODBUS_DISCONNECTED', 'not connected', ctx));
    }
    this.counters.transactions++;
    const timeout = this.config.timeout;

    return new Promise<number[]>((resolve, reject) => {
      let settled = false;
      const settle = (err: AgentError | undefined, words?: number[]) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(guard);
        if (this.inFlight === inFlight) this.inFlight = undefined;
        this.account(conn, err);
        if (err) reject(err);
        else resolve(words ?? []);
      };
      const inFlight: InFlight = {
        conn,
        abort: (message) => settle(this.error('MODBUS_DISCONNECTED', message, ctx)),
        refuse: (message) => settle(this.error('MODBUS_BAD_RESPONSE', message, ctx)),
      };
      this.inFlight = inFlight;
      const guard = this.clock.setTimeout(
        () => settle(this.error('MODBUS_TIMEOUT', `no answer within ${timeout}ms`, ctx)),
        timeout + GUARD_MARGIN_MS,
      );

      try {
        client.setID(unit);
        client.setTimeout(timeout);
        issueRead(client, table, address, count).then(
          (words) => settle(undefined, words),
          (err: unknown) => settle(this.translate(err, ctx)),
        );
      } catch (err) {
        settle(this.translate(err, ctx));
      }
    });
  }

  /** Counters, and the dead-connection rule: any answer proves the link alive; timeouts add up. */
  private account(conn: Connection, err: AgentError | undefined): void {
    if (err?.code === 'MODBUS_DISCONNECTED') return;
    if (err?.code === 'MODBUS_TIMEOUT') {
      this.counters.timeouts++;
      this.consecutiveTimeouts++;
      if (this.consecutiveTimeouts >= DEAD_AFTER_TIMEOUTS && conn === this.conn && conn.open) {
        this.log.warn(
          { timeouts: this.consecutiveTimeouts },
          'consecutive timeouts: presuming the connection dead, reconnecting',
        );
        this.consecutiveTimeouts = 0;
        this.drop(conn);
      }
      return;
    }
    if (err?.code === 'MODBUS_EXCEPTION') this.counters.exceptions++;
    if (err?.code === 'MODBUS_BAD_RESPONSE') this.counters.badResponses++;
    this.consecutiveTimeouts = 0;
    // The connection has answered: a later drop starts the backoff from the bottom again. Resetting
    // on connect instead would spin at the minimum delay against a peer that accepts and hangs up.
    this.backoff.reset();
    this.failuresInARow = 0;
  }

  private translate(err: unknown, ctx: ErrorContext): AgentError {
    if (err instanceof AgentError) return err;
    const { code, message, exceptionCode } = classifyClientError(err);
    if (code === 'MODBUS_EXCEPTION') return this.error(code, message, { ...ctx, exceptionCode }, err);
    if (code === 'MODBUS_TIMEOUT')
      return this.error(code, `no answer within ${this.config.timeout}ms`, ctx, err);
    return this.error(code, message, ctx, err);
  }

  private error(code: ErrorCode, message: string, ctx: ErrorContext, cause?: unknown): AgentError {
    return new AgentError(
      code,
      message,
      { bus: this.id, ...ctx },
      cause === undefined ? undefined : { cause },
    );
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = new Socket();
    const conn: Connection = { socket, open: false };
    this.conn = conn;
    // Always listened to: an 'error' without a listener would crash the process. 'close' follows it.
    socket.on('error', (err) => {
      if (conn === this.conn) this.log.debug({ err: err.message }, 'socket error');
    });
    socket.once('close', () => this.onClose(conn));
    socket.once('connect', () => this.onConnect(conn));
    const connectTimeout = Math.max(3 * this.config.timeout, MIN_CONNECT_TIMEOUT_MS);
    conn.connectTimer = this.clock.setTimeout(() => {
      conn.connectTimer = undefined;
      socket.destroy(new Error(`connect timed out after ${connectTimeout}ms`));
    }, connectTimeout);
    try {
      socket.setNoDelay(true);
      socket.connect({ host: this.config.host, port: this.config.port });
    } catch (err) {
      // Invalid arguments throw synchronously; destroying emits 'close', which schedules a retry.
      this.log.debug({ err }, 'connect failed');
      socket.destroy();
    }
  }

  private onConnect(conn: Connection): void {
    this.clearConnectTimer(conn);
    if (this.stopped || conn !== this.conn) {
      conn.socket.destroy();
      return;
    }
    try {
      const client = this.createClient();
      client.on('error', (err: unknown) => this.log.debug({ err }, 'modbus client error'));
      // host/port are informational here: the socket is already connected.
      client.linkTCP(conn.socket, { host: this.config.host, port: this.config.port }, (err: unknown) => {
        if (err) {
          this.log.debug({ err }, 'could not attach the Modbus client');
          conn.socket.destroy();
          return;
        }
        if (this.stopped || conn !== this.conn) return;
        conn.client = client;
        conn.open = true;
        this.consecutiveTimeouts = 0;
        if (this.everConnected) this.counters.reconnects++;
        this.everConnected = true;
        this.log.info({ host: this.config.host, port: this.config.port }, 'bus connected');
        this.readyWaiters.wakeAll(true);
      });
      // Right after linkTCP attached modbus-serial's reader, so both see the same bytes; ours runs
      // second but settles first (modbus-serial resolves through a promise, i.e. a microtask later).
      const watch = new MbapFrameWatch((reason) => {
        if (this.inFlight?.conn === conn) this.inFlight.refuse(reason);
      });
      conn.socket.on('data', (chunk: Buffer) => watch.push(chunk));
    } catch (err) {
      this.log.warn({ err }, 'could not attach the Modbus client');
      conn.socket.destroy();
    }
  }

  private onClose(conn: Connection): void {
    this.clearConnectTimer(conn);
    if (conn !== this.conn) return;
    this.conn = undefined;
    const wasLinked = conn.client !== undefined;
    conn.open = false;
    if (conn.client) {
      // Cancels modbus-serial's own per-transaction timers, which would otherwise outlive the socket.
      conn.client.destroy(() => {});
    }
    if (this.inFlight?.conn === conn) {
      this.inFlight.abort('connection closed during the transaction');
    }
    if (this.stopped) return;
    if (!wasLinked) this.counters.connectFailures++;
    const delay = this.backoff.next();
    const fields = { host: this.config.host, port: this.config.port, retryInMs: delay };
    if (this.failuresInARow++ === 0) {
      this.log.warn(fields, wasLinked ? 'bus connection lost' : 'bus connect failed');
    } else {
      this.log.debug(fields, wasLinked ? 'bus connection lost' : 'bus connect failed');
    }
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  /** Marks the connection unusable now (no further writes) and lets onClose reconnect. */
  private drop(conn: Connection): void {
    conn.open = false;
    conn.socket.destroy();
  }

  private clearConnectTimer(conn: Connection): void {
    if (conn.connectTimer) this.clock.clearTimeout(conn.connectTimer);
    conn.connectTimer = undefined;
  }
}
