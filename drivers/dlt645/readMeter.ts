import type { Dlt645Client } from './client.js';
import type { Dlt645Protocol } from './dataIdentifiers.js';
import { Dlt645Error, type Dlt645ErrorCode } from './meterErrors.js';
import { type ChannelValue, decodeRead, type PlannedRead } from './readPlan.js';

/**
 * One poll of one meter: every planned read in turn, each channel with its value or the reason it
 * has none. A refused identifier or a bad answer costs only its own channels; a timeout ends the
 * poll (a meter that does not answer one request will not answer the next, and every further
 * timeout would hold the line for the other meters), its remaining channels get the timeout too.
 */

export type MeterChannelResult = ChannelValue & { code?: Dlt645ErrorCode };

export interface MeterPoll {
  /** True when the meter answered at least one read. */
  answered: boolean;
  channels: MeterChannelResult[];
}

export async function readMeter(
  client: Dlt645Client,
  address: string,
  protocol: Dlt645Protocol,
  plan: readonly PlannedRead[],
): Promise<MeterPoll> {
  const channels: MeterChannelResult[] = [];
  let answered = false;
  let silentSince: Dlt645Error | undefined;
  for (const read of plan) {
    if (silentSince) {
      for (const ch of read.channels) channels.push(failed(ch.id, silentSince));
      continue;
    }
    try {
      const payload = await client.readRaw(address, read.di, protocol);
      answered = true;
      channels.push(...decodeRead(read, payload));
    } catch (err) {
      const e =
        err instanceof Dlt645Error
          ? err
          : new Dlt645Error('DLT645_LINE_ERROR', err instanceof Error ? err.message : String(err));
      if (e.code === 'DLT645_METER_ERROR' || e.code === 'DLT645_BAD_ANSWER') answered = true;
      if (e.code === 'DLT645_TIMEOUT' || e.code === 'DLT645_LINE_ERROR') silentSince = e;
      for (const ch of read.channels) channels.push(failed(ch.id, e));
    }
  }
  return { answered, channels };
}

function failed(id: string, e: Dlt645Error): MeterChannelResult {
  return { id, ok: false, reason: e.message, code: e.code };
}
