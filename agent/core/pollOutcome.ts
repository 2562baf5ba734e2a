import type { AgentError } from './errors.js';
import type { Logger } from './log.js';
import type { DataFlag, NewReading } from './reading.js';

/**
 * What one poll of a device gives, whatever the protocol (drivers' pollers return it; acquisition
 * turns it into stored readings and device state).
 */
export interface PollResult {
  /** One reading per channel, in channel order, all stamped with the poll's start time. */
  readings: NewReading[];
  /** True when every planned request succeeded. */
  ok: boolean;
  /** One per failed request (with device and bus in the context). */
  errors: AgentError[];
  /** Register words (bits for coil/discrete) as read, per channel id; absent when not read. */
  raw: Map<string, number[]>;
  /** Decoded instrument state; null without a status register or when it could not be read. */
  state: number | null;
  /**
   * When the analyzer made the measurement (epoch ms), from device.measurementTime; null when
   * configured but unreadable, absent without it. Readings keep the poll time as `ts`.
   */
  measuredAt?: number | null;
}

/** A channel's reading of one poll: every poller (Modbus, ASCII) shapes readings the same way. */
export function channelReading(
  deviceId: string,
  ch: { id: string; code?: string | null | undefined; unit?: string | null | undefined },
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
