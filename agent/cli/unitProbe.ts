import {
  buildMbapReadRequest,
  mbapFrameLength,
  parseMbapReadResponse,
} from '../../drivers/modbus/mbapFrames.js';
import { buildReadRequest, parseReadResponse, responseFrameLength } from '../../drivers/modbus/rtuFrames.js';
import { type ByteTransport, serialTransport } from '../../drivers/serial/byteTransport.js';
import { charTimeMs, lineTiming } from '../../drivers/serial/lineFromConfig.js';
import { SerialLine, SerialLineError } from '../../drivers/serial/serialLine.js';
import { tcpTransport } from '../../drivers/serial/tcpTransport.js';
import { busSchema, type RegisterTable } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { isAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

/**
 * One question to one unit at a time, for `station-agent scan`: read one register (or bit) and say
 * what came back. Built on the agent's own SerialLine (one exchange at a time, guard after a
 * timeout so a late answer is never taken for the next unit's) with rtuFrames on a serial port
 * and MBAP frames to a Modbus TCP gateway; no retries, no reconnects: a scan reports what it sees.
 */

export type ProbeTarget =
  | { kind: 'serial'; path: string; baudRate: number; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2 }
  | { kind: 'tcp'; host: string; port: number };

export type ProbeOutcome =
  /** A normal answer: the register words (bits for coil/discrete). */
  | { kind: 'answered'; values: number[] }
  /** A Modbus exception answer: something with this unit id is there. */
  | { kind: 'exception'; code: number }
  /** Nothing within the timeout. */
  | { kind: 'silent' }
  /** Bytes came back, but no valid answer (CRC, length, foreign frame). */
  | { kind: 'garbled'; reason: string }
  /** The port or connection went away. */
  | { kind: 'lost'; reason: string };

export interface UnitProber {
  /** "serial /dev/ttyUSB0 9600 8N1" or "tcp 10.0.0.5:502". */
  readonly description: string;
  probe(unit: number, table: RegisterTable, address: number): Promise<ProbeOutcome>;
  stop(): Promise<void>;
}

export const MODBUS_EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal address',
  3: 'illegal value',
  4: 'device failure',
  5: 'acknowledge',
  6: 'device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target did not respond',
};

/** Longest wait for the port to open (a TCP connect has its own, longer timeout inside). */
const OPEN_WAIT_MS = 2000;

export function describeTarget(target: ProbeTarget): string {
  if (target.kind === 'tcp') return `tcp ${target.host}:${target.port}`;
  const parity = target.parity === 'none' ? 'N' : target.parity === 'even' ? 'E' : 'O';
  return `serial ${target.path} ${target.baudRate} 8${parity}${target.stopBits}`;
}

/**
 * Opens the port (or connects) and resolves with a prober, or rejects with an Error whose message
 * names the port and the cause (missing, locked by another process, no permission, refused).
 */
export async function openProber(
  target: ProbeTarget,
  deps: { timeoutMs: number; clock: Clock; log: Logger },
): Promise<UnitProber> {
  // The bus settings the agent would use, so the scan's guard and pause times are the agent's.
  const bus = busSchema.parse(
    target.kind === 'serial'
      ? {
          id: 'scan',
          type: 'serial',
          port: target.path,
          baudRate: target.baudRate,
          parity: target.parity,
          stopBits: target.stopBits,
          timeout: `${deps.timeoutMs}ms`,
        }
      : {
          id: 'scan',
          type: 'rtu-over-tcp',
          host: target.host,
          port: target.port,
          timeout: `${deps.timeoutMs}ms`,
        },
  );
  if (bus.type === 'tcp' || bus.type === 'hj212-server' || bus.type === 'serial-listen')
    throw new Error('unreachable: scan builds serial or rtu-over-tcp settings');

  const inner: ByteTransport =
    bus.type === 'serial'
      ? serialTransport({
          path: bus.port,
          baudRate: bus.baudRate,
          parity: bus.parity,
          dataBits: bus.dataBits,
          stopBits: bus.stopBits,
        })
      : tcpTransport({
          host: bus.host,
          port: bus.port,
          connectTimeoutMs: Math.max(3 * deps.timeoutMs, 3000),
          clock: deps.clock,
        });
  // The line reopens by itself forever; a scan wants the first open's verdict instead.
  let firstOpen: (err: unknown) => void = () => {};
  const opened = new Promise<unknown>((resolve) => {
    firstOpen = resolve;
  });
  const transport: ByteTransport = {
    description: inner.description,
    open: (handlers) =>
      inner.open(handlers).then(
        (conn) => {
          firstOpen(undefined);
          return conn;
        },
        (err: unknown) => {
          firstOpen(err);
          throw err;
        },
      ),
  };
  const line = new SerialLine({
    id: 'scan',
    transport,
    clock: deps.clock,
    log: deps.log,
    reconnect: { min: 60_000, max: 60_000 },
    ...lineTiming(bus),
    charTimeMs: bus.type === 'serial' ? charTimeMs(bus) : 0,
  });
  line.start();
  const err = await opened;
  if (err !== undefined) {
    await line.stop();
    const message = err instanceof Error ? err.message : String(err);
    // tcpTransport speaks of serial servers (its usual peer); here the peer is a Modbus TCP gateway.
    const said = target.kind === 'tcp' ? message.replace('serial server', 'Modbus TCP gateway') : message;
    throw new Error(said, { cause: err });
  }
  if (!(await line.ready(OPEN_WAIT_MS))) {
    await line.stop();
    throw new Error(`${inner.description}: opened, but not ready within ${OPEN_WAIT_MS}ms`);
  }

  let transactionId = 0;
  return {
    description: describeTarget(target),
    async probe(unit, table, address) {
      try {
        if (target.kind === 'serial') {
          const frame = await line.transact(
            buildReadRequest(unit, table, address, 1),
            responseFrameLength(unit, table, 1),
            deps.timeoutMs,
          );
          return { kind: 'answered', values: parseReadResponse(frame, unit, table, 1) };
        }
        transactionId = (transactionId % 0xffff) + 1;
        const tid = transactionId;
        const frame = await line.transact(
          buildMbapReadRequest(tid, unit, table, address, 1),
          mbapFrameLength(tid, unit),
          deps.timeoutMs,
        );
        return { kind: 'answered', values: parseMbapReadResponse(frame, tid, unit, table, 1) };
      } catch (e) {
        return outcomeOf(e);
      }
    },
    stop: () => line.stop(),
  };
}

function outcomeOf(err: unknown): ProbeOutcome {
  if (err instanceof SerialLineError) {
    if (err.kind === 'timeout') return { kind: 'silent' };
    if (err.kind === 'garbage') return { kind: 'garbled', reason: err.message };
    return { kind: 'lost', reason: err.message };
  }
  if (isAgentError(err, 'MODBUS_EXCEPTION')) {
    return { kind: 'exception', code: Number(err.context.exceptionCode) };
  }
  return { kind: 'garbled', reason: err instanceof Error ? err.message : String(err) };
}
