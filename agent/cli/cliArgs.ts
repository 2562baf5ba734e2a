import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../config/duration.js';
import { REGISTER_TABLES, type RegisterTable } from '../config/schema.js';

/**
 * Option parsers for the technician's commands (scan, read, ports). Each throws commander's
 * InvalidArgumentError with a message that says what was expected, so commander prints
 * `error: option '--units <list>' argument '1-300' is invalid. …`; main.ts makes that exit code 2.
 */

/** Modbus unit ids: 0 is broadcast (serial), 248–255 reserved; TCP gateways accept 0–255. */
export const MAX_UNIT_ID = 255;
/** Refuses a list that would take all day: a typo such as "1-2470" is caught by the id bound anyway. */
const MAX_LIST_LENGTH = 256;

/**
 * Parses a unit list such as `1-247`, `7`, `1,3,5-7` into sorted, distinct ids within [min, max].
 * Throws InvalidArgumentError naming the bad part.
 */
export function parseUnitList(text: string, min = 0, max = MAX_UNIT_ID): number[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new InvalidArgumentError('expected unit ids such as 1-247 or 1,3,5-7');
  const ids = new Set<number>();
  for (const rawPart of trimmed.split(',')) {
    const part = rawPart.trim();
    const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(part);
    if (!m) {
      throw new InvalidArgumentError(`"${part}" is not a unit id or range (expected e.g. 1-247 or 1,3,5-7)`);
    }
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (const n of [from, to]) {
      if (n < min || n > max) throw new InvalidArgumentError(`unit ${n} is out of range ${min}..${max}`);
    }
    if (to < from) throw new InvalidArgumentError(`range "${part}" runs backwards (write ${to}-${from})`);
    for (let u = from; u <= to; u++) ids.add(u);
  }
  if (ids.size > MAX_LIST_LENGTH) throw new InvalidArgumentError(`at most ${MAX_LIST_LENGTH} unit ids`);
  return [...ids].sort((a, b) => a - b);
}

/** Compact form of a sorted id list for messages: [1,2,3,7] -> "1-3, 7". */
export function formatUnitList(ids: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ids.length) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    parts.push(j > i + 1 ? `${ids[i]}-${ids[j]}` : j === i + 1 ? `${ids[i]}, ${ids[j]}` : `${ids[i]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export interface RegisterSpec {
  table: RegisterTable;
  address: number;
}

/** `holding:0`, `input:16`, `coil:5`, `discrete:0` (0-based PDU address). */
export function parseRegisterSpec(text: string): RegisterSpec {
  const m = /^([a-z]+):(\d+)$/.exec(text.trim().toLowerCase());
  const table = m?.[1] as RegisterTable | undefined;
  if (!m || table === undefined || !REGISTER_TABLES.includes(table)) {
    throw new InvalidArgumentError(
      `expected table:address with table one of ${REGISTER_TABLES.join(', ')} (e.g. holding:0)`,
    );
  }
  const address = Number(m[2]);
  if (address > 65535) throw new InvalidArgumentError('the address must be 0..65535 (0-based)');
  return { table, address };
}

/** `200ms`, `1s`, or a bare number of milliseconds; 10 ms to 60 s. */
export function parseTimeoutArg(text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) : parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 200ms or 1s');
  if (ms < 10 || ms > 60_000) throw new InvalidArgumentError('expected a timeout between 10ms and 60s');
  return ms;
}

export function parseBaudArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 50 || n > 4_000_000) {
    throw new InvalidArgumentError('expected a baud rate such as 9600, 19200 or 38400');
  }
  return n;
}

export function parseParityArg(text: string): 'none' | 'even' | 'odd' {
  const p = text.trim().toLowerCase();
  if (p !== 'none' && p !== 'even' && p !== 'odd')
    throw new InvalidArgumentError('expected none, even or odd');
  return p;
}

export function parseStopBitsArg(text: string): 1 | 2 {
  if (text.trim() === '1') return 1;
  if (text.trim() === '2') return 2;
  throw new InvalidArgumentError('expected 1 or 2');
}

/** `host:port` of a Modbus TCP gateway; the port defaults to 502. IPv6 as `[::1]:502`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const t = text.trim();
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(t);
  if (!m) throw new InvalidArgumentError('expected host:port such as 192.168.1.50:502');
  const port = m[2] === undefined ? 502 : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('the TCP port must be 1..65535');
  }
  return { host: m[1]!, port };
}

/** A refresh period for `read --watch`: `500ms`, `2s`, `1m`; 100 ms to 1 h, like a device interval. */
export function parseIntervalArg(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 500ms, 2s or 1m');
  if (ms < 100 || ms > 3_600_000) throw new InvalidArgumentError('expected an interval between 100ms and 1h');
  return ms;
}

/** --seconds of the listening commands: whole seconds, at most a day. */
export function parseSecondsArg(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0 || n > 86_400)
    throw new InvalidArgumentError('expected whole seconds, 1..86400');
  return n;
}
