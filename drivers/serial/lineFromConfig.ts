import type { Clock } from '../../agent/core/clock.js';
import type { Logger } from '../../agent/core/log.js';
import { serialTransport } from './byteTransport.js';
import type { RtuOverTcpBusSettings, SerialBusSettings } from './lineSettings.js';
import { SerialLine } from './serialLine.js';
import { tcpTransport } from './tcpTransport.js';

/**
 * A SerialLine for a `buses:` entry of type serial or rtu-over-tcp, with the timing defaults the
 * schema documents. Any protocol on a serial line (Modbus RTU, ASCII analyzers) builds its line here.
 */

export type LineBusConfig = SerialBusSettings | RtuOverTcpBusSettings;

/**
 * The guard after a timeout is also at least a quarter of the timeout: a device that answers just
 * after the timeout is the usual late answerer, and its answer must fall into the guard. Over TCP
 * the serial server keeps the line timing, but the network adds jitter, hence a longer minimum.
 */
const TCP_GUARD_MS = 100;
const MIN_GUARD_MS = 50;
const MIN_PAUSE_MS = 2;
/** Consecutive timeouts (any unit) after which a serial server's connection is presumed half-open. */
export const TCP_DEAD_AFTER_TIMEOUTS = 3;
const MIN_CONNECT_TIMEOUT_MS = 3000;

/** Milliseconds one character takes on the wire: start bit, data bits, parity bit, stop bits. */
export function charTimeMs(
  config: Pick<SerialBusSettings, 'baudRate' | 'dataBits' | 'parity' | 'stopBits'>,
): number {
  const bits = 1 + config.dataBits + (config.parity === 'none' ? 0 : 1) + config.stopBits;
  return (bits * 1000) / config.baudRate;
}

export interface LineTiming {
  pauseBetweenRequestsMs: number;
  pauseAfterOpenMs: number;
  guardTimeMs: number;
}

export function lineTiming(config: LineBusConfig): LineTiming {
  const w = config.workarounds;
  if (config.type === 'rtu-over-tcp') {
    return {
      pauseBetweenRequestsMs: w.pauseBetweenRequests ?? 0,
      pauseAfterOpenMs: w.pauseAfterOpen,
      guardTimeMs: w.guardTime ?? Math.max(TCP_GUARD_MS, Math.ceil(config.timeout / 4)),
    };
  }
  const char = charTimeMs(config);
  return {
    // RTU frames are separated by at least 3.5 character times of silence. Not rounded up: the line
    // waits only what remains of it and rounds that (SerialLine.pause), so no whole ms is lost per exchange.
    pauseBetweenRequestsMs: w.pauseBetweenRequests ?? Math.max(MIN_PAUSE_MS, 3.5 * char),
    pauseAfterOpenMs: w.pauseAfterOpen,
    guardTimeMs: w.guardTime ?? Math.max(MIN_GUARD_MS, Math.ceil(7 * char), Math.ceil(config.timeout / 4)),
  };
}

export function createLineForBus(config: LineBusConfig, deps: { clock: Clock; log: Logger }): SerialLine {
  const transport =
    config.type === 'serial'
      ? serialTransport({
          path: config.port,
          baudRate: config.baudRate,
          parity: config.parity,
          dataBits: config.dataBits,
          stopBits: config.stopBits,
        })
      : tcpTransport({
          host: config.host,
          port: config.port,
          connectTimeoutMs: Math.max(3 * config.timeout, MIN_CONNECT_TIMEOUT_MS),
          clock: deps.clock,
        });
  return new SerialLine({
    id: config.id,
    transport,
    clock: deps.clock,
    log: deps.log,
    reconnect: config.reconnect,
    ...lineTiming(config),
    deadAfterTimeouts: config.type === 'rtu-over-tcp' ? TCP_DEAD_AFTER_TIMEOUTS : undefined,
    charTimeMs: config.type === 'serial' ? charTimeMs(config) : 0,
  });
}
