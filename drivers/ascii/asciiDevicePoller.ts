import type { Clock } from '../../agent/core/clock.js';
import { engineeringValue } from '../../agent/core/decimal.js';
import { AgentError, type ErrorCode, isAgentError } from '../../agent/core/errors.js';
import type { Logger } from '../../agent/core/log.js';
import { channelReading, logPollOutcome, type PollResult } from '../../agent/core/pollOutcome.js';
import type { DataFlag, NewReading } from '../../agent/core/reading.js';
import { buildRequest, parseEscapes, showBytes } from './asciiCommand.js';
import {
  answerText,
  compilePattern,
  matchAnswer,
  parseNumber,
  terminatorFrameLength,
} from './asciiResponse.js';
import type { AsciiChannelSettings, AsciiDeviceSettings, AsciiSettings } from './asciiSettings.js';
import { flagForStatus, parseStatusValue } from './asciiStatus.js';

/**
 * One poll of a text-protocol analyzer (a device with an `ascii` block): send the command, match
 * the answer, flag every value; then ask the status command, if any, for the flag.
 *
 * Flags, as for Modbus devices (devicePoller.ts):
 * - no complete answer (timeout, lost line, garbage), an answer that does not match the pattern,
 *   or a failed checksum: value null, flag B (nothing trustworthy arrived);
 * - the answer matched but the channel's group is empty or not a number ("----", "OVER"):
 *   value null, flag D (the instrument answered, the value is not valid);
 * - otherwise the value is kept, flagged by the status rules; N without a status command, or when
 *   the status answer could not be read (the failure is in `errors`, so the poll is not ok).
 * After a transport failure of the value command the status command is skipped: a silent analyzer
 * would hold the shared line for a second timeout while the other devices wait.
 * poll() never rejects.
 */

/** What the ascii driver needs from a line (drivers/serial/serialLine.ts provides it). */
export interface ByteExchange {
  /**
   * Sends `request` and resolves with the answer frame. frameLength(buf): > 0 the length of a
   * complete frame at the start of buf, 0 need more bytes, -1 buf cannot start an answer.
   */
  transact(request: Buffer, frameLength: (buf: Buffer) => number, timeoutMs: number): Promise<Buffer>;
}

export interface AsciiDevicePollerDeps {
  /** A device with an `ascii` block (validated config). */
  device: AsciiDeviceSettings;
  line: ByteExchange;
  clock: Clock;
  log: Logger;
}

export interface AsciiDevicePoller {
  poll(): Promise<PollResult>;
}

export function createAsciiDevicePoller(deps: AsciiDevicePollerDeps): AsciiDevicePoller {
  const { device, line, clock, log } = deps;
  const ascii: AsciiSettings | undefined = device.ascii;
  if (!ascii) throw new Error(`device ${device.id} has no ascii block: poll it with createDevicePoller`);
  const terminator = parseEscapes(ascii.terminator);
  const frameLength = terminatorFrameLength(terminator);
  const prefix = { prefixByte: ascii.prefixByte, terminator: ascii.terminator };
  const valueRequest = buildRequest({ command: ascii.command, ...prefix });
  const valuePattern = compilePattern(ascii.pattern);
  const status = ascii.status;
  const statusRequest = status ? buildRequest({ command: status.command, ...prefix }) : undefined;
  const statusPattern = status ? compilePattern(status.pattern) : undefined;
  let lastPollOk = true;

  /** The answer text, or the line's failure (timeout, lost line, garbage). */
  async function ask(request: Buffer): Promise<{ text: string } | { error: AgentError }> {
    try {
      const frame = await line.transact(request, frameLength, ascii!.timeout);
      return { text: answerText(frame, terminator) };
    } catch (err) {
      return { error: transportError(err, device.id, request) };
    }
  }

  async function poll(): Promise<PollResult> {
    const ts = clock.now();
    const errors: AgentError[] = [];
    let fields: Record<string, string | undefined> | undefined;
    let lineAlive = true;

    const answer = await ask(valueRequest);
    if ('error' in answer) {
      errors.push(answer.error);
      lineAlive = false;
    } else {
      const m = matchAnswer(answer.text, valuePattern, ascii!.checksum);
      if (m.kind === 'ok') fields = m.fields;
      else
        errors.push(
          badAnswer(device.id, valueRequest, answer.text, m.kind === 'bad-checksum' ? m : undefined),
        );
    }

    let state: number | null = null;
    let stateFlag: DataFlag = 'N';
    if (status && statusRequest && statusPattern && lineAlive) {
      const s = await ask(statusRequest);
      if ('error' in s) errors.push(s.error);
      else {
        const m = matchAnswer(s.text, statusPattern, ascii!.checksum);
        const value = m.kind === 'ok' ? parseStatusValue(m.fields.value ?? '', status.base) : undefined;
        if (value === undefined) {
          errors.push(badAnswer(device.id, statusRequest, s.text, m.kind === 'bad-checksum' ? m : undefined));
        } else {
          state = value;
          stateFlag = flagForStatus(value, status.rules, status.default);
        }
      }
    }

    const raw = new Map<string, number[]>();
    const readings = device.channels.map((ch): NewReading => {
      const text = ch.field === undefined ? undefined : fields?.[ch.field];
      // The matched text as character codes: PollResult.raw is "what was read" for tools.
      if (text !== undefined) raw.set(ch.id, [...Buffer.from(text, 'latin1')]);
      const { value, flag } = channelValue(ch, fields, text, stateFlag);
      return channelReading(device.id, ch, ts, value, flag);
    });

    const ok = errors.length === 0;
    lastPollOk = logPollOutcome(log, errors, lastPollOk);
    return { readings, ok, errors, raw, state };
  }

  return { poll };
}

function channelValue(
  ch: AsciiChannelSettings,
  fields: Record<string, string | undefined> | undefined,
  text: string | undefined,
  stateFlag: DataFlag,
): { value: number | null; flag: DataFlag } {
  if (!fields) return { value: null, flag: 'B' };
  const n = text === undefined ? undefined : parseNumber(text);
  if (n === undefined) return { value: null, flag: 'D' };
  // The analyzer sent decimal text: kept as parsed, and scale/offset applied on that decimal exactly.
  const value = engineeringValue(n, ch.scale, ch.offset);
  return Number.isFinite(value) ? { value, flag: stateFlag } : { value: null, flag: 'D' };
}

const LINE_ERROR_CODES: Record<string, ErrorCode> = {
  timeout: 'ASCII_TIMEOUT',
  disconnected: 'ASCII_DISCONNECTED',
  garbage: 'ASCII_BAD_RESPONSE',
};

/** A line failure as an AgentError; serialLine's errors carry a `kind` (timeout, garbage, disconnected). */
function transportError(err: unknown, deviceId: string, request: Buffer): AgentError {
  const where = { device: deviceId, request: showBytes(request) };
  if (isAgentError(err))
    return new AgentError(err.code, err.message, { ...err.context, ...where }, { cause: err });
  const kind = typeof err === 'object' && err !== null ? (err as { kind?: unknown }).kind : undefined;
  const code = (typeof kind === 'string' && LINE_ERROR_CODES[kind]) || 'ASCII_DISCONNECTED';
  const message = err instanceof Error ? err.message : String(err);
  return new AgentError(code, message, where, { cause: err });
}

function badAnswer(
  deviceId: string,
  request: Buffer,
  text: string,
  checksum: { expected: string; got: string } | undefined,
): AgentError {
  const message = checksum
    ? `checksum ${checksum.got} does not match ${checksum.expected}`
    : 'the answer does not match the pattern';
  return new AgentError('ASCII_BAD_RESPONSE', message, {
    device: deviceId,
    request: showBytes(request),
    answer: showBytes(Buffer.from(text, 'latin1')).slice(0, 200),
  });
}
