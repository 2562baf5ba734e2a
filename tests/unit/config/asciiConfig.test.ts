import { describe, expect, it } from 'vitest';
import {
  type ConfigProblem,
  formatProblems,
  type LoadResult,
  loadConfigText,
} from '../../../agent/config/load.js';
import type { StationConfig } from '../../../agent/config/schema.js';

/** Station text around one device (given as YAML lines, indented under `devices:`). */
function station(deviceYaml: string): string {
  return `version: 1
station: { id: s1 }
storage: { path: ./x.db }
buses: [{ id: com1, type: serial, port: /dev/ttyS0 }]
devices:
${deviceYaml}
`;
}

function ok(result: LoadResult): StationConfig {
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

function problems(result: LoadResult): Pick<ConfigProblem, 'line' | 'column' | 'path' | 'message'>[] {
  if (result.ok) throw new Error('expected problems');
  return result.problems.map(({ line, column, path, message }) => ({ line, column, path, message }));
}

const ASCII_DEVICE = `  - id: o3
    bus: com1
    interval: 10s
    ascii:
      command: o3
      prefixByte: 177
      pattern: '^o3 (?<o3>\\S+)'
      status:
        command: flags
        pattern: '^flags (?<value>[0-9A-F]+)'
        rules:
          - { mask: 0x20000000, flag: M }
          - { equals: 0, flag: N }
        default: D
    channels:
      - { id: o3, code: a05024, unit: ppb, field: o3 }`;

describe('ascii devices in the configuration', () => {
  it('load with defaults for terminator, timeout, checksum and status base', () => {
    const device = ok(loadConfigText(station(ASCII_DEVICE), 'station.yaml', {})).devices[0]!;
    expect(device.ascii).toEqual({
      command: 'o3',
      prefixByte: 177,
      terminator: '\r',
      timeout: 1000,
      pattern: '^o3 (?<o3>\\S+)',
      checksum: 'none',
      status: {
        command: 'flags',
        pattern: '^flags (?<value>[0-9A-F]+)',
        base: 16,
        rules: [
          { mask: 0x2000_0000, flag: 'M' },
          { equals: 0, flag: 'N' },
        ],
        default: 'D',
      },
    });
    expect(device.channels[0]).toMatchObject({ id: 'o3', field: 'o3', scale: 1, offset: 0 });
    expect(device.channels[0]!.register).toBeUndefined();
  });

  it('report channels that mix register and field, and fields the pattern does not have', () => {
    const text = station(`${ASCII_DEVICE}
      - { id: no, field: no }
      - { id: t, field: o3, register: { table: input, address: 0, type: float32 } }
  - id: m
    bus: com1
    interval: 10s
    channels:
      - { id: a, field: a }
      - { id: b }`);
    expect(problems(loadConfigText(text, 'station.yaml', {}))).toEqual([
      {
        line: 22,
        column: 26,
        path: 'devices[0].channels[1].field',
        message: '"no" is not a named group of ascii.pattern (groups: o3)',
      },
      {
        line: 23,
        column: 39,
        path: 'devices[0].channels[2].register',
        message: 'an ascii device reads text: give field, not register',
      },
      {
        line: 28,
        column: 9,
        path: 'devices[1].channels[0].register',
        message:
          'missing required setting "register" (expected the register holding the value; field is for ascii devices)',
      },
      {
        line: 28,
        column: 25,
        path: 'devices[1].channels[0].field',
        message: 'field is for ascii devices (with an ascii block); give register (got "a")',
      },
      {
        line: 29,
        column: 9,
        path: 'devices[1].channels[1].register',
        message:
          'missing required setting "register" (expected the register holding the value; field is for ascii devices)',
      },
    ]);
  });

  it('report bad escapes, regexes, missing groups and rules with both or neither test', () => {
    const text = station(`  - id: o3
    bus: com1
    interval: 10s
    ascii:
      command: 'o3\\q'
      pattern: '^o3 (?<o3>\\S+'
      checksum: sum8-hex
      status:
        command: flags
        pattern: '^flags (\\w+)'
        rules: [{ flag: M }, { equals: 1, mask: 2, flag: C }]
    status: { register: { table: input, address: 0, type: uint16 } }
    channels:
      - { id: o3, field: o3 }`);
    const found = problems(loadConfigText(text, 'station.yaml', {}));
    expect(found.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`)).toEqual([
      '10:16 devices[0].ascii.command: unknown escape "\\q" (allowed: \\r \\n \\t \\\\ \\xHH) (got "o3\\\\q")',
      '11:16 devices[0].ascii.pattern: not a valid regular expression: Invalid regular expression: /^o3 (?<o3>\\S+/: Unterminated group (got "^o3 (?<o3>\\\\S+")',
      '15:18 devices[0].ascii.status.pattern: the status pattern needs a named group (?<value>...) holding the status word (got "^flags (\\\\w+)")',
      '16:17 devices[0].ascii.status.rules[0]: a rule needs exactly one of equals or mask',
      '16:30 devices[0].ascii.status.rules[1]: a rule needs exactly one of equals or mask',
      '17:13 devices[0].status: an ascii device takes its status from ascii.status',
    ]);
  });

  it('require a checksum group when a checksum is configured', () => {
    const text = station(ASCII_DEVICE.replace('      prefixByte: 177', '      checksum: xor8-hex'));
    expect(problems(loadConfigText(text, 'station.yaml', {}))).toEqual([
      {
        line: 12,
        column: 16,
        path: 'devices[0].ascii.pattern',
        message:
          'checksum xor8-hex needs a named group (?<checksum>...) in the pattern (got "^o3 (?<o3>\\\\S+)")',
      },
    ]);
  });

  it('accept status bits and a measurement time on Modbus devices, refusing a status with neither', () => {
    const text = station(`  - id: t101
    bus: com1
    interval: 10s
    channels: [{ id: so2, register: { table: input, address: 34, type: float32 } }]
    status:
      bits:
        - { register: { table: discrete, address: 19, type: bool }, when: clear, flag: D }
        - { register: { table: input, address: 5, type: uint16 }, mask: 0x0004, flag: C }
    measurementTime: { table: input, address: 40, format: epoch, order: CDAB }
  - id: bad
    bus: com1
    interval: 10s
    channels: [{ id: x, register: { table: input, address: 0, type: float32 } }]
    status:
      default: D
  - id: bad2
    bus: com1
    interval: 10s
    channels: [{ id: x, register: { table: input, address: 0, type: float32 } }]
    status:
      bits: [{ register: { table: coil, address: 0, type: bool }, mask: 1, flag: C }]
    measurementTime: { table: input, address: 40, format: bcd, order: CDAB, utcOffset: "8" }`);
    const result = loadConfigText(text, 'station.yaml', {});
    expect(problems(result).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'devices[1].status: status needs a register, bits, or both',
      'devices[2].status.bits[0].mask: a coil is one bit: remove mask (got 1)',
      'devices[2].measurementTime.order: order applies to format epoch only (got "CDAB")',
      'devices[2].measurementTime.utcOffset: expected an offset such as "+08:00" (got "8")',
    ]);
    const fixed = text.replace(/ {2}- id: bad\n[\s\S]*$/, '');
    const device = ok(loadConfigText(fixed, 'station.yaml', {})).devices[0]!;
    expect(device.status?.bits?.[0]).toMatchObject({ when: 'clear', flag: 'D' });
    expect(device.measurementTime).toEqual({
      table: 'input',
      address: 40,
      format: 'epoch',
      order: 'CDAB',
      utcOffset: '+08:00',
    });
  });
});
