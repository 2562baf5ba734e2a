import { describe, expect, it } from 'vitest';
import { allZeroHint } from '../../../agent/cli/allZeroHint.js';
import { formatProblems, loadConfigText } from '../../../agent/config/load.js';
import type { DeviceConfig } from '../../../agent/config/schema.js';

function device(channels: string, extra = ''): DeviceConfig {
  const text = `
version: 1
station: { id: T1 }
storage: { path: ./x.db }
buses: [{ id: lan, type: rtu-over-tcp, host: 127.0.0.1, port: 4001 }]
devices:
  - id: dev
    bus: lan
    unit: 4
    interval: 10s
    ${extra}
    channels:
${channels}
`;
  const loaded = loadConfigText(text, 'hint.yaml', {});
  if (!loaded.ok) throw new Error(formatProblems(loaded.problems));
  return loaded.config.devices[0]!;
}

const twoTables = device(`
      - { id: a, register: { table: holding, address: 10, type: float32 } }
      - { id: b, register: { table: holding, address: 4, type: uint16 } }
      - { id: c, register: { table: input, address: 7, type: int16 } }
      - { id: bit, register: { table: coil, address: 0, type: bool } }`);

describe('allZeroHint', () => {
  it('names the device, the registers read per table and the unit when every word is 0', () => {
    const raw = new Map([
      ['a', [0, 0]],
      ['b', [0]],
      ['c', [0]],
      ['bit', [1]], // a status bit set is normal; bits are not registers
    ]);
    expect(allZeroHint(twoTables, raw)).toBe(
      'hint: every register of dev read 0 (holding 4-11, input 7 of unit 4): is the register table right ' +
        '(holding vs input)? is this the right unit? Analyzers that answer 0 for addresses they do not have look like this.',
    );
  });

  it('says nothing when any register word is not 0', () => {
    const raw = new Map([
      ['a', [0, 0]],
      ['b', [0]],
      ['c', [1]],
    ]);
    expect(allZeroHint(twoTables, raw)).toBeUndefined();
  });

  it('judges the registers that were read (a failed request leaves its channels out)', () => {
    expect(allZeroHint(twoTables, new Map([['a', [0, 0]]]))).toMatch(/\(holding 10-11 of unit 4\)/);
    expect(allZeroHint(twoTables, new Map())).toBeUndefined();
  });

  it('says nothing for a device of bits only, or an ASCII analyzer', () => {
    const bits = device('      - { id: s, register: { table: discrete, address: 3, type: bool } }');
    expect(allZeroHint(bits, new Map([['s', [0]]]))).toBeUndefined();
    const ascii = device(
      '      - { id: o3, field: o3 }',
      'ascii: { command: o3, pattern: "^o3 (?<o3>\\\\S+)" }\n',
    );
    expect(allZeroHint(ascii, new Map([['o3', [0, 0]]]))).toBeUndefined();
  });
});
