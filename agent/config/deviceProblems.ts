import { groupNames, regexProblem } from '../../drivers/ascii/asciiResponse.js';

/**
 * Rules across a device's settings: a Modbus device's channels name a register, an ascii device's
 * a field of its pattern, never both; an HJ 212 logger's (a `logger` block) name a factor code only. Accepts any value: schema.ts runs it on devices that failed
 * other checks too, so one pass reports everything.
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
  listOf(device.channels).forEach((ch, i) => {
    if (!isRecord(ch)) return;
    const at = (key: string, message: string) => problems.push({ path: ['channels', i, key], message });
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
