import type { ConfigPath } from '../configErrors.js';
import { isRecord, listOf, type RuleFinding } from './ruleFinding.js';

/**
 * Manuals often number registers the Modicon way: a table digit, then a 1-based number (30017 =
 * input register 17 = PDU address 16; 400001 is the 6-digit form of 40001). `address` is the 0-based
 * PDU address, so 30017 copied from a manual reads a register 30001 further on, which often answers
 * with another value or a Modbus exception. Some devices do use such addresses for real, so this is
 * a warning, only where the leading digit matches the register's table.
 */

interface ModiconForm {
  /** The table digit: 0 coil, 1 discrete input, 3 input register, 4 holding register. */
  digit: string;
  /** What the manual calls one entry of the table. */
  noun: string;
}

const FORMS: Record<string, ModiconForm> = {
  coil: { digit: '0', noun: 'coil' },
  discrete: { digit: '1', noun: 'discrete input' },
  input: { digit: '3', noun: 'input register' },
  holding: { digit: '4', noun: 'holding register' },
};

/** The PDU address a Modicon-style number of `table` means, or undefined when it is not one. */
export function modiconMeaning(table: string, address: number, written: string): number | undefined {
  const form = FORMS[table];
  if (!form || !Number.isInteger(address)) return undefined;
  // A coil's digit is 0, which YAML drops from a number: only the text as written shows it.
  const digits = form.digit === '0' ? written : String(address);
  const match = /^(\d)(\d{4,5})$/.exec(digits);
  if (!match || match[1] !== form.digit) return undefined;
  const number = Number(match[2]);
  // 5 digits: x0001-x9999; 6 digits: x00001-x65536.
  const max = match[2]!.length === 4 ? 9999 : 65536;
  return number >= 1 && number <= max ? number - 1 : undefined;
}

export function modiconAddressWarnings(
  cfg: unknown,
  sourceAt: (path: ConfigPath) => string | undefined,
): RuleFinding[] {
  if (!isRecord(cfg)) return [];
  const findings: RuleFinding[] = [];
  listOf(cfg.devices).forEach((device, d) => {
    for (const { path, register } of registersOf(device, ['devices', d])) {
      const { table, address } = register;
      if (typeof table !== 'string' || typeof address !== 'number') continue;
      const addressPath = [...path, 'address'];
      const written = (sourceAt(addressPath) ?? String(address)).replace(/^["']|["']$/g, '');
      const meant = modiconMeaning(table, address, written);
      if (meant === undefined) continue;
      const form = FORMS[table]!;
      findings.push({
        severity: 'warning',
        path: addressPath,
        message:
          `address ${written} looks Modicon-style (${form.digit}xxxx = ${form.noun}s numbered from 1): it ` +
          `probably means ${form.noun} ${meant}; address here is the 0-based PDU address`,
        hint: `if the manual lists ${written}, write address: ${meant}; keep ${written} only if the device really uses that PDU address`,
      });
    }
  });
  return findings;
}

/** Every register setting of a device: mappings with a table and an address, at any depth. */
function* registersOf(
  value: unknown,
  path: (string | number)[],
  depth = 0,
): Generator<{ path: (string | number)[]; register: Record<string, unknown> }> {
  if (depth > 6) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* registersOf(value[i], [...path, i], depth + 1);
    return;
  }
  if (!isRecord(value)) return;
  if ('table' in value && 'address' in value) yield { path, register: value };
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'object' && inner !== null) yield* registersOf(inner, [...path, key], depth + 1);
  }
}
