import type { Clock } from '../../agent/core/clock.js';
import { AgentError, type ErrorCode, type ErrorContext, isAgentError } from '../../agent/core/errors.js';
import type { Logger } from '../../agent/core/log.js';
import { createLineForBus, type LineBusConfig } from '../serial/lineFromConfig.js';
import { type SerialLine, SerialLineError, type SerialLineStats } from '../serial/serialLine.js';
import { invalidReadRequest } from './readRequestLimits.js';
import type { RegisterTable } from './registers.js';
import { buildReadRequest, parseReadResponse, responseFrameLength } from './rtuFrames.js';
import type { BusStats } from './tcpBus.js';

/**
 * Modbus RTU on one serial line (a `buses:` entry of type serial, or rtu-over-tcp for a transparent
 * serial server), shared by every unit on it. Same surface as ModbusTcpBus, so the device poller
 * does not know which one it reads through.
 *
 * The line (SerialLine) does the transport work: one exchange at a time, guard time and flush
 * after a timeout, pauses, loss detection and reopening. This class frames requests, checks every
 * answer (CRC first, then unit, function, byte count) before a value is taken from it, and retries
 * timeouts and bad answers. An exception answer is definite and not retried.
 */

export interface RtuBusDeps {
  config: LineBusConfig;
  clock: Clock;
  log: Logger;
  /** Injected for tests; by default built from the config. */
  line?: SerialLine;
}

export interface RtuBusStats extends BusStats {
  /** Answers refused for a CRC mismatch (also counted in badResponses). */
  crcErrors: number;
  line: SerialLineStats;
}

export class RtuBus {
  readonly id: string;
  private readonly config: LineBusConfig;
  private readonly log: Logger;
  private readonly line: SerialLine;
  private readonly counters = { transactions: 0, timeouts: 0, exceptions: 0, badResponses: 0, crcErrors: 0 };

  constructor(deps: RtuBusDeps) {
    this.config = deps.config;
    this.id = deps.config.id;
    this.log = deps.log;
    this.line = deps.line ?? createLineForBus(deps.config, { clock: deps.clock, log: deps.log });
  }

  /** Resends after a timeout (the bus's `retries`): other protocols on the line resend as often. */
  get retries(): number {
    return this.config.retries;
  }

  get timeoutMs(): number {
    return this.config.timeout;
  }

  /** Opens the line in the background and keeps reopening it until stop(). */
  start(): void {
    this.line.start();
  }

  stop(): Promise<void> {
    return this.line.stop();
  }

  /** Resolves true once the line is open, or false after `waitMs`. */
  ready(waitMs: number): Promise<boolean> {
    return this.line.ready(waitMs);
  }

  isConnected(): boolean {
    return this.line.isOpen();
  }

  stats(): RtuBusStats {
    const line = this.line.stats();
    return {
      ...this.counters,
      reconnects: Math.max(0, line.opens - 1),
      connectFailures: line.openFailures,
      connected: line.open,
      line,
    };
  }

  /**
   * Reads `count` registers (FC03 holding, FC04 input) or bits (FC01 coil, FC02 discrete, as 0/1)
   * from `unit`. Rejects with AgentError MODBUS_TIMEOUT, MODBUS_EXCEPTION, MODBUS_DISCONNECTED or
   * MODBUS_BAD_RESPONSE; a RangeError for a request no device could answer (a programming error).
   */
  read(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]> {
    const invalid = invalidReadRequest(unit, table, address, count, 1);
    if (invalid !== null) return Promise.reject(new RangeError(`invalid RTU read: ${invalid}`));
    const ctx = { unit, table, address, count };
    // Fail fast: a device must not wait a timeout to learn the line is down.
    if (!this.line.isOpen()) return Promise.reject(this.error('MODBUS_DISCONNECTED', 'line not open', ctx));
    return this.readWithRetries(unit, table, address, count, ctx);
  }

  private async readWithRetries(
    unit: number,
    table: RegisterTable,
    address: number,
    count: number,
    ctx: ErrorContext,
  ): Promise<number[]> {
    const request = buildReadRequest(unit, table, address, count);
    const frameLength = responseFrameLength(unit, table, count);
    for (let attempt = 0; ; attempt++) {
      try {
        this.counters.transactions++;
        const frame = await this.line.transact(request, frameLength, this.config.timeout);
        return parseReadResponse(frame, unit, table, count);
      } catch (err) {
        const e = this.translate(err, ctx);
        this.account(e);
        const retryable = e.code === 'MODBUS_TIMEOUT' || e.code === 'MODBUS_BAD_RESPONSE';
        if (!retryable || attempt >= this.config.retries || !this.line.isOpen()) throw e;
        this.log.debug({ code: e.code, err: e.message, ...ctx, attempt: attempt + 1 }, 'retrying read');
      }
    }
  }

  private account(e: AgentError): void {
    if (e.code === 'MODBUS_TIMEOUT') this.counters.timeouts++;
    else if (e.code === 'MODBUS_EXCEPTION') this.counters.exceptions++;
    else if (e.code === 'MODBUS_BAD_RESPONSE') {
      this.counters.badResponses++;
      if (e.context.reason === 'crc') this.counters.crcErrors++;
    }
  }

  private translate(err: unknown, ctx: ErrorContext): AgentError {
    if (err instanceof SerialLineError) {
      const code: ErrorCode =
        err.kind === 'timeout'
          ? 'MODBUS_TIMEOUT'
          : err.kind === 'disconnected'
            ? 'MODBUS_DISCONNECTED'
            : 'MODBUS_BAD_RESPONSE';
      return this.error(code, err.message, err.kind === 'garbage' ? { ...ctx, reason: 'garbage' } : ctx, err);
    }
    if (isAgentError(err)) return this.error(err.code, err.message, { ...ctx, ...err.context }, err.cause);
    const message = err instanceof Error ? err.message : String(err);
    return this.error('MODBUS_BAD_RESPONSE', message, ctx, err);
  }

  private error(code: ErrorCode, message: string, ctx: ErrorContext, cause?: unknown): AgentError {
    return new AgentError(
      code,
      message,
      { bus: this.id, ...ctx },
      cause === undefined ? undefined : { cause },
    );
  }
}
