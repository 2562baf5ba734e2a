import type { RegisterTable } from './registers.js';
import { MAX_BITS_PER_REQUEST, MAX_REGISTERS_PER_REQUEST } from './requestPlanner.js';

/**
 * Why no device could answer this read (a programming error upstream, never a device fault), or null
 * when it is a valid request. `minUnit` is 1 on a serial line, where unit 0 is the broadcast address.
 */
export function invalidReadRequest(
  unit: number,
  table: RegisterTable,
  address: number,
  count: number,
  minUnit: 0 | 1,
): string | null {
  const max = table === 'coil' || table === 'discrete' ? MAX_BITS_PER_REQUEST : MAX_REGISTERS_PER_REQUEST;
  const valid =
    Number.isInteger(unit) &&
    unit >= minUnit &&
    unit <= 255 &&
    Number.isInteger(address) &&
    Number.isInteger(count) &&
    address >= 0 &&
    count >= 1 &&
    count <= max &&
    address + count <= 65536;
  return valid ? null : `unit ${unit} ${table} address ${address} count ${count} (max ${max})`;
}
