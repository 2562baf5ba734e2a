import { groupNames, regexProblem } from '../../drivers/ascii/asciiResponse.js';

/**
 * Rules across a device's settings: a Modbus device's channels name a register, an ascii device's
 * a field of its pattern, never both; an HJ 212 logger's (a `logger` block) name a factor code only;
 * a meter's (a `meter` block) a DL/T 645 data identifier. Accepts any value: schema.ts runs it on
 * devices that failed other checks too, so one pass reports everything.
 */
export function deviceProblems(device: unknown): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  if (!isRecord(device)) return problems;
  if (device.logger !== undefined) return loggerProblems(device);
  const ascii = isRecord(device.ascii) ? device.ascii : undefined;
  // A pattern that does not compile has its own problem; its groups are not checked against it.
  const pattern =
    ascii && typeof ascii.pattern === 'string' && !regexProblem(ascii.pattern) ? ascii.pattern : undefined;
  const groups = pattern ? groupNames(pattern) : [];
  const meter = isRecord(device.meter) ? device.meter : undefined;
  if (meter && ascii)
    problems.push({ path: ['meter'], message: 'a device is a meter or an ascii analyzer, not both' });
  if (meter) {
    problems.push(...meterProblems(device, meter));
    return problems;
  }
  listOf(device.channels).forEach((ch, i) => {
    if (!isRecord(ch)) return;
    const at = (key: string, message: string) => problems.push({ path: ['channels', i, key], message });
    for (const key of METER_KEYS) {
      if (ch[key] !== undefined) at(key, `${key} is for meters (a device with a meter block)`);
    }
    if (ascii) {
      if (ch.register !== undefined) at('register', 'an ascii device reads text: give field, not register');
      if (ch.field === undefined) at('field', 'expected the named group of ascii.pattern holding the value');
      else if (typeof ch.field === 'string' && pattern && !groups.includes(ch.field)) {
        const known = groups.filter((g) => g !== 'checksum').join(', ') || 'none';
        at('field', `"${ch.field}" is not a named group of ascii.pattern (groups: ${known})`);
      }
    } else {
      if (ch.field !== undefined)
        at('field', 'field is for ascii devices (with an ascii block); give register');
      if (ch.register === undefined)
        at('register', 'expected the register holding the value; field is for ascii devices');
    }
  });
  if (ascii && device.status !== undefined) {
    problems.push({ path: ['status'], message: 'an ascii device takes its status from ascii.status' });
  }
  if (ascii && device.measurementTime !== undefined) {
    problems.push({
      path: ['measurementTime'],
      message: 'measurementTime is read from registers: Modbus only',
    });
  }
  return problems;
}

/** A logger's channels are its factor codes: no register, no field, no status of ours. */
function loggerProblems(device: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const codes = new Map<string, number>();
  listOf(device.channels).forEach((ch, i) => {
    if (!isRecord(ch)) return;
    const at = (key: string, message: string) => problems.push({ path: ['channels', i, key], message });
    if (ch.code === undefined)
      at('code', 'a logger device maps channels by HJ 212 factor code: give code (e.g. w01018)');
    if (ch.register !== undefined)
      at('register', 'a logger device sends its values over HJ 212: give code, not register');
    if (ch.field !== undefined)
      at('field', 'a logger device sends its values over HJ 212: give code, not field');
    if (typeof ch.code === 'string') {
      const first = codes.get(ch.code);
      if (first !== undefined)
        at('code', `code ${ch.code} is already channel ${first + 1}'s: one channel per code`);
      else codes.set(ch.code, i);
    }
  });
  for (const key of ['ascii', 'status', 'measurementTime'] as const) {
    if (device[key] !== undefined)
      problems.push({
        path: [key],
        message: `a logger device takes values and flags from its uploads: remove ${key}`,
      });
  }
  return problems;
}

const METER_KEYS = ['di', 'element', 'format'] as const;

/** A meter's channels name a data identifier of its protocol and its layout, never a register. */
function meterProblems(
  device: Record<string, unknown>,
  meter: Record<string, unknown>,
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const protocol = meter.protocol === '1997' ? '1997' : '2007';
  const digits = protocol === '2007' ? 8 : 4;
  listOf(device.channels).forEach((ch, i) => {
    if (!isRecord(ch)) return;
    const at = (key: string, message: string) => problems.push({ path: ['channels', i, key], message });
    if (ch.register !== undefined)
      at('register', 'a meter is read by data identifier: give di, not register');
    if (ch.field !== undefined) at('field', 'field is for ascii devices; a meter channel gives di');
    if (ch.di === undefined) at('di', 'expected the DL/T 645 data identifier of the value, e.g. "00010000"');
    else if (typeof ch.di === 'string' && ch.di.length !== digits && /^[0-9A-Fa-f]+$/.test(ch.di))
      at('di', `a DL/T 645-${protocol} identifier has ${digits} hex digits`);
    if (ch.format === undefined)
      at('format', 'expected the BCD layout of the value, e.g. { bytes: 4, decimals: 2, signed: false }');
  });
  for (const key of ['status', 'measurementTime'] as const) {
    if (device[key] !== undefined)
      problems.push({ path: [key], message: `${key} is Modbus only, not for meters` });
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
