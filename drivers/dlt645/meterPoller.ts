import type { Clock } from '../../agent/core/clock.js';
import { engineeringValue } from '../../agent/core/decimal.js';
import { AgentError } from '../../agent/core/errors.js';
import type { Logger } from '../../agent/core/log.js';
import { channelReading, logPollOutcome, type PollResult } from '../../agent/core/pollOutcome.js';
import type { NewReading } from '../../agent/core/reading.js';
import type { BcdLayout } from './bcd.js';
import type { Dlt645Client } from './client.js';
import type { Dlt645Protocol } from './dataIdentifiers.js';
import { readMeter } from './readMeter.js';
import { planReads } from './readPlan.js';

/**
 * One poll of an electricity meter (a device with a `meter` block): every distinct identifier of
 * its channels read in turn on the shared line (readMeter: a timeout ends the poll so a silent
 * meter does not hold the line), each value scaled like any channel's. A channel without a value
 * gets null and flag B, with its error (DLT645_* code, device, meter address) in the result.
 * poll() never rejects.
 */

export interface MeterChannelSettings {
  id: string;
  code?: string | null | undefined;
  unit?: string | null | undefined;
  di?: string | undefined;
  element?: number | undefined;
  format?: BcdLayout | undefined;
  scale: number;
  offset: number;
}

export interface MeterDeviceSettings {
  id: string;
  meter?: { address: string; protocol: Dlt645Protocol; preamble: number } | undefined;
  channels: readonly MeterChannelSettings[];
}

export interface MeterPollerDeps {
  device: MeterDeviceSettings;
  client: Dlt645Client;
  clock: Clock;
  log: Logger;
}

export function createMeterPoller(deps: MeterPollerDeps): { poll(): Promise<PollResult> } {
  const { device, client, clock, log } = deps;
  const meter = device.meter;
  if (!meter) throw new Error(`device ${device.id} has no meter block`);
  const planned = device.channels.map((ch) => {
    // The config check requires both on a meter's channels; this guards hand-built settings.
    if (ch.di === undefined || ch.format === undefined)
      throw new Error(`device ${device.id} channel ${ch.id}: a meter channel needs di and format`);
    return { id: ch.id, di: ch.di, element: ch.element, format: ch.format };
  });
  const plan = planReads(meter.protocol, planned);
  let lastPollOk = true;

  async function poll(): Promise<PollResult> {
    const ts = clock.now();
    const result = await readMeter(client, meter!.address, meter!.protocol, plan);
    const byId = new Map(result.channels.map((c) => [c.id, c]));
    const errors: AgentError[] = [];
    const reported = new Set<string>();
    const readings = device.channels.map((ch): NewReading => {
      const got = byId.get(ch.id);
      if (got?.ok) {
        const value = engineeringValue(got.value, ch.scale, ch.offset);
        return channelReading(device.id, ch, ts, Number.isFinite(value) ? value : null, 'N');
      }
      const reason = got?.reason ?? 'not read';
      // One error per failure, not per channel: a block's channels share theirs.
      if (!reported.has(reason)) {
        reported.add(reason);
        const code = got && 'code' in got && got.code ? got.code : 'DLT645_BAD_ANSWER';
        errors.push(
          new AgentError(code, reason, { device: device.id, meter: meter!.address, channel: ch.id }),
        );
      }
      return channelReading(device.id, ch, ts, null, 'B');
    });
    lastPollOk = logPollOutcome(log, errors, lastPollOk);
    return { readings, ok: errors.length === 0, errors, raw: new Map(), state: null };
  }

  return { poll };
}
