import type { DataFlag } from '../../agent/core/reading.js';
import type { RegisterTable, RegisterType, WordOrder } from './registers.js';

/**
 * The settings a Modbus device is polled with, as the protocol layer needs them: a validated
 * `devices:` entry (agent/config/schema.ts) satisfies them, and the compiler checks it where the
 * agent hands its config over (agent/app/driverPlugins.ts). Declared here so drivers/ needs nothing
 * of the agent's config (rule drivers-only-contract).
 */

export interface RegisterSettings {
  table: RegisterTable;
  /** 0-based PDU address. */
  address: number;
  type: RegisterType;
  order?: WordOrder | undefined;
}

/** A status bit: a coil/discrete input, or `mask` bits of a register. */
export interface StatusBitSettings {
  register: RegisterSettings;
  mask?: number | undefined;
  when: 'set' | 'clear';
  flag: DataFlag;
}

export interface StatusSettings {
  register?: RegisterSettings | undefined;
  /** Instrument state value -> flag. */
  flags: Readonly<Record<string, DataFlag>>;
  default: DataFlag;
  bits?: readonly StatusBitSettings[] | undefined;
}

export interface MeasurementTimeSettings {
  table: 'holding' | 'input';
  address: number;
  format: 'bcd' | 'epoch';
  order?: WordOrder | undefined;
  /** bcd only: the analyzer clock's fixed offset, "+08:00". */
  utcOffset: string;
}

export interface ModbusChannelSettings {
  id: string;
  code?: string | null | undefined;
  unit?: string | null | undefined;
  /** Absent on channels of a text-protocol device; such a channel reads as B here. */
  register?: RegisterSettings | undefined;
  scale: number;
  offset: number;
}

export interface ModbusDeviceSettings {
  id: string;
  /** Modbus unit (slave) id. */
  unit: number;
  channels: readonly ModbusChannelSettings[];
  status?: StatusSettings | undefined;
  measurementTime?: MeasurementTimeSettings | undefined;
  workarounds: { maxRegistersPerRequest?: number | undefined; mergeGap?: number | undefined };
}
