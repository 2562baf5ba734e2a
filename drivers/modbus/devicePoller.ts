import type { Clock } from '../../agent/core/clock.js';
import { AgentError, isAgentError } from '../../agent/core/errors.js';
import type { Logger } from '../../agent/core/log.js';
import { logPollOutcome, type PollResult } from '../../agent/core/pollOutcome.js';
import { STATUS_KEY } from './instrumentState.js';
import type { ModbusDeviceSettings } from './modbusSettings.js';
import { decodeDeviceWords, deviceRegisterItems } from './pollDecode.js';
import type { RegisterTable } from './registers.js';
import { type PlannedRequest, planRequests } from './requestPlanner.js';

export type { PollResult } from '../../agent/core/pollOutcome.js';

/**
 * One poll of one device: read its planned requests, decode every channel, flag every value.
 *
 * Flag rules (HJ 212 flags, one per reading):
 * - The channel's request failed (or was skipped, see below): value null, flag B (comms failure).
 * - The value decodes to NaN/±Infinity (analyzers use NaN for "no valid measurement"; a reading
 *   cannot carry NaN through JSON or SQLite): value null, flag D (the instrument answered, the value
 *   is not valid).
 * - Otherwise the value is kept and flagged by the instrument state (instrumentState.ts): the first
 *   status bit in its `when` state, else status.flags[state] or status.default for an unlisted
 *   state; N when the device has no status.
 * - Status register configured but its request failed while the value was read: the value is kept
 *   and flagged N. Flagging B or D would discard a good measurement over a state we could not
 *   read; the failure is not hidden: it is in `errors`, so the poll is not `ok`. (The planner
 *   usually reads the status in the same request as the channels, so this case is rare.)
 *
 * After a timeout or a disconnect the remaining requests of this poll are skipped: the device (or
 * bus) is not answering, and every further request would hold the shared bus for a full timeout
 * (times retries) while other devices wait. Exceptions do not skip: they are per-block answers.
 */

export interface RegisterReader {
  read(unit: number, table: RegisterTable, address: number, count: number): Promise<number[]>;
}

export interface DevicePoller {
  readonly plan: readonly PlannedRequest[];
  poll(): Promise<PollResult>;
}

export interface DevicePollerDeps {
  device: ModbusDeviceSettings;
  bus: RegisterReader;
  clock: Clock;
  log: Logger;
}

export { STATUS_KEY };

export function createDevicePoller(deps: DevicePollerDeps): DevicePoller {
  const { device, bus, clock, log } = deps;
  const items = deviceRegisterItems(device);
  const sizes = new Map(items.map((i) => [i.key, i.count]));
  const plan = planRequests(items, {
    mergeGap: device.workarounds.mergeGap,
    maxRegistersPerRequest: device.workarounds.maxRegistersPerRequest,
  });
  const limit = device.workarounds.maxRegistersPerRequest;
  if (
    limit !== undefined &&
    plan.some((r) => r.table !== 'coil' && r.table !== 'discrete' && r.count > limit)
  ) {
    log.warn(
      { maxRegistersPerRequest: limit },
      'a value is larger than maxRegistersPerRequest: it is read in one request anyway (never split)',
    );
  }
  // Logged on change only: a dead analyzer polled every few seconds must not flood the log.
  let lastPollOk = true;

  async function readAll(): Promise<{ words: Map<string, number[]>; errors: AgentError[] }> {
    const words = new Map<string, number[]>();
    const errors: AgentError[] = [];
    for (const req of plan) {
      try {
        const answer = await bus.read(device.unit, req.table, req.address, req.count);
        if (answer.length < req.count) {
          throw new AgentError('MODBUS_BAD_RESPONSE', `expected ${req.count} values, got ${answer.length}`);
        }
        for (const { key, offset } of req.items) {
          words.set(key, answer.slice(offset, offset + (sizes.get(key) ?? 1)));
        }
      } catch (err) {
        const e = withDevice(err, device.id, req);
        errors.push(e);
        if (e.code === 'MODBUS_TIMEOUT' || e.code === 'MODBUS_DISCONNECTED') break;
      }
    }
    return { words, errors };
  }

  async function poll(): Promise<PollResult> {
    const ts = clock.now();
    let words = new Map<string, number[]>();
    let errors: AgentError[];
    try {
      ({ words, errors } = await readAll());
    } catch (err) {
      // readAll catches per request; this is a last line of defence so poll() never rejects.
      errors = [withDevice(err, device.id)];
    }

    const result = decodeDeviceWords(device, words, errors, ts);
    lastPollOk = logPollOutcome(log, errors, lastPollOk);
    return result;
  }

  return { plan, poll };
}

function withDevice(err: unknown, deviceId: string, req?: PlannedRequest): AgentError {
  const where = req ? { table: req.table, address: req.address, count: req.count } : {};
  if (isAgentError(err)) {
    return new AgentError(
      err.code,
      err.message,
      { ...where, ...err.context, device: deviceId },
      { cause: err.cause },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new AgentError('MODBUS_BAD_RESPONSE', message, { ...where, device: deviceId }, { cause: err });
}
