import modbusSerial from 'modbus-serial';
import type { ErrorCode } from '../../agent/core/errors.js';
import type { RegisterTable } from './registers.js';

/**
 * The seam between the bus and modbus-serial: the client type, one read per table, and what its
 * errors mean. Kept apart so the bus's connection and queueing logic reads without library detail.
 */

// modbus-serial is CommonJS; under NodeNext its default import is module.exports, whose `default`
// property is the client class again (set by the package for ESM consumers).
const ModbusRTU = modbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusRTU>;

export function createModbusClient(): ModbusClient {
  return new ModbusRTU();
}

/** One read on the wire; bits come back padded to whole bytes, only the first `count` are ours. */
export async function issueRead(
  client: ModbusClient,
  table: RegisterTable,
  address: number,
  count: number,
): Promise<number[]> {
  switch (table) {
    case 'coil':
      return bits((await client.readCoils(address, count)).data, count);
    case 'discrete':
      return bits((await client.readDiscreteInputs(address, count)).data, count);
    case 'holding':
      return words((await client.readHoldingRegisters(address, count)).data, count);
    case 'input':
      return words((await client.readInputRegisters(address, count)).data, count);
  }
}

function bits(data: readonly boolean[], count: number): number[] {
  if (!Array.isArray(data) || data.length < count)
    throw new Error(`expected ${count} bits, got ${data?.length}`);
  return data.slice(0, count).map((b) => (b ? 1 : 0));
}

function words(data: readonly number[], count: number): number[] {
  if (!Array.isArray(data) || data.length !== count) {
    throw new Error(`expected ${count} registers, got ${data?.length}`);
  }
  for (const w of data) {
    if (!Number.isInteger(w) || w < 0 || w > 0xffff) throw new Error(`register value ${w} is not 16-bit`);
  }
  return [...data];
}

/**
 * modbus-serial's errors are plain objects, not Error subclasses (TransactionTimedOutError,
 * PortNotOpenError): recognised by their fields. Anything else it reports (CRC, length, unit or
 * function mismatch) and our own checks above are a bad response.
 */
export function classifyClientError(err: unknown): {
  code: ErrorCode;
  message: string;
  exceptionCode?: number;
} {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: unknown;
    errno?: unknown;
    modbusCode?: unknown;
    message?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.modbusCode === 'number')
    return { code: 'MODBUS_EXCEPTION', message, exceptionCode: e.modbusCode };
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT')
    return { code: 'MODBUS_TIMEOUT', message };
  if (e.name === 'PortNotOpenError') return { code: 'MODBUS_DISCONNECTED', message };
  return { code: 'MODBUS_BAD_RESPONSE', message };
}
