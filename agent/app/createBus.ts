import { RtuBus, type RtuBusStats } from '../../drivers/modbus/rtuBus.js';
import { type BusStats, ModbusTcpBus } from '../../drivers/modbus/tcpBus.js';
import type { RegisterReader } from '../acquisition/devicePoller.js';
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
}

/** The bus for a `buses:` entry: Modbus TCP, or Modbus RTU on a serial port or through a serial server. */
export function createBus(config: BusConfig, deps: { clock: Clock; log: Logger }): FieldBus {
  switch (config.type) {
    case 'tcp':
      return new ModbusTcpBus({ config, clock: deps.clock, log: deps.log });
    case 'serial':
    case 'rtu-over-tcp':
      return new RtuBus({ config, clock: deps.clock, log: deps.log });
  }
}
