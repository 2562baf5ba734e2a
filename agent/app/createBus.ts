import type { ByteExchange } from '../../drivers/ascii/asciiDevicePoller.js';
import type { RegisterReader } from '../../drivers/modbus/devicePoller.js';
import { RtuBus, type RtuBusStats } from '../../drivers/modbus/rtuBus.js';
import { type BusStats, ModbusTcpBus } from '../../drivers/modbus/tcpBus.js';
import { createLineForBus } from '../../drivers/serial/lineFromConfig.js';
import type { BusConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';

/** What the agent needs of any bus: the poller reads through it, the agent starts and stops it. */
export interface FieldBus extends RegisterReader {
  readonly id: string;
  readonly timeoutMs: number;
  start(): void;
  stop(): Promise<void>;
  /** Resolves true once connected/open, or false after `waitMs`. */
  ready(waitMs: number): Promise<boolean>;
  isConnected(): boolean;
  stats(): BusStats | RtuBusStats;
  /** The raw byte line of a serial bus, shared with ASCII analyzers on it; absent on Modbus TCP. */
  readonly exchange?: ByteExchange;
}

/** The bus for a `buses:` entry: Modbus TCP, or Modbus RTU on a serial port or through a serial server. */
export function createBus(config: BusConfig, deps: { clock: Clock; log: Logger }): FieldBus {
  switch (config.type) {
    case 'tcp':
      return new ModbusTcpBus({ config, clock: deps.clock, log: deps.log });
    case 'serial':
    case 'rtu-over-tcp': {
      // One SerialLine per physical line: Modbus RTU and ASCII devices on it share its one-at-a-time queue.
      const line = createLineForBus(config, deps);
      const bus = new RtuBus({ config, clock: deps.clock, log: deps.log, line });
      return Object.assign(bus, { exchange: line as ByteExchange });
    }
  }
}
