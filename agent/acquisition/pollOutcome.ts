import type { ChannelConfig } from '../config/schema.js';
import type { AgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { DataFlag, NewReading } from '../core/reading.js';

/** A channel's reading of one poll: every poller (Modbus, ASCII) shapes readings the same way. */
export function channelReading(
  deviceId: string,
  ch: Pick<ChannelConfig, 'id' | 'code' | 'unit'>,
  ts: number,
  value: number | null,
  flag: DataFlag,
): NewReading {
  return { ts, device: deviceId, channel: ch.id, code: ch.code ?? null, value, unit: ch.unit ?? null, flag };
}

/**
 * Logs a device's poll outcome without a log storm: a warning when it starts failing, info when it
 * answers again, debug for repeated failures. Returns the new "last poll ok" state.
 * The device id is in the logger's bindings (the caller's child logger), not repeated here.
 */
export function logPollOutcome(log: Logger, errors: readonly AgentError[], lastPollOk: boolean): boolean {
  const ok = errors.length === 0;
  if (ok !== lastPollOk) {
    if (ok) log.info('device answering again');
    else log.warn({ code: errors[0]?.code, err: errors[0]?.message }, 'device poll failed');
  } else if (!ok) {
    log.debug({ code: errors[0]?.code }, 'device poll failed');
  }
  return ok;
}
