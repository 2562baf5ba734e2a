import { decodeBcd } from './bcd.js';
import type { Dlt645Client } from './client.js';
import { type Dlt645Protocol, dataItem, formatIdentifier } from './dataIdentifiers.js';
import { Dlt645Error } from './meterErrors.js';

/**
 * A read decoded with the codec's layout for the identifier: one number per value (a block gives
 * its values in the standard's order, e.g. A, B, C). Anything but exactly the layout's bytes, all
 * BCD, is an error: a value is either what the meter meant or not there.
 */
export async function readValues(
  client: Dlt645Client,
  address: string,
  di: number,
  protocol: Dlt645Protocol = '2007',
): Promise<number[]> {
  const item = dataItem(protocol, di);
  if (!item) {
    throw new Dlt645Error(
      'DLT645_UNKNOWN_IDENTIFIER',
      `identifier ${formatIdentifier(protocol, di)} is not known to the DL/T 645-${protocol} codec`,
    );
  }
  const payload = await client.readRaw(address, di, protocol);
  const expected = item.count * item.layout.bytes;
  if (payload.length !== expected) {
    throw new Dlt645Error(
      'DLT645_BAD_ANSWER',
      `meter ${address}: ${item.name} is ${expected} bytes, the answer has ${payload.length}`,
    );
  }
  const values: number[] = [];
  for (let i = 0; i < item.count; i++) {
    const bytes = payload.subarray(i * item.layout.bytes, (i + 1) * item.layout.bytes);
    const decoded = decodeBcd(bytes, item.layout);
    if (!decoded.ok)
      throw new Dlt645Error('DLT645_BAD_ANSWER', `meter ${address}: ${item.name}: ${decoded.reason}`);
    values.push(decoded.value);
  }
  return values;
}
