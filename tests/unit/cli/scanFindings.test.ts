import { describe, expect, it } from 'vitest';
import { answered, describeFinding, type ScanFinding } from '../../../agent/cli/scanCommand.js';
import { describeTarget } from '../../../agent/cli/unitProbe.js';

const holding0 = { table: 'holding' as const, address: 0 };

describe('scan findings', () => {
  it('a normal answer and an exception both mean a device is there', () => {
    const ok: ScanFinding = { unit: 7, outcome: { kind: 'answered', values: [0x1234] } };
    const exc: ScanFinding = { unit: 9, outcome: { kind: 'exception', code: 2 } };
    expect(describeFinding(ok, holding0, false)).toBe('unit 7: answered (holding 0 = 0x1234)');
    expect(describeFinding(exc, holding0, false)).toBe(
      'unit 9: exception 2 (illegal address) — a device is there',
    );
    expect(answered(ok, false)).toBe(true);
    expect(answered(exc, false)).toBe(true);
  });

  it('bits are shown as 0/1', () => {
    const f: ScanFinding = { unit: 3, outcome: { kind: 'answered', values: [1] } };
    expect(describeFinding(f, { table: 'coil', address: 5 }, false)).toBe('unit 3: answered (coil 5 = 1)');
  });

  it('through a gateway, exceptions 10 and 11 are the gateway saying nobody is there', () => {
    for (const code of [10, 11]) {
      const f: ScanFinding = { unit: 4, outcome: { kind: 'exception', code } };
      expect(answered(f, true)).toBe(false);
      expect(describeFinding(f, holding0, true)).toBeUndefined();
      // On a serial line the same answer comes from something with that id.
      expect(answered(f, false)).toBe(true);
    }
  });

  it('silence is not listed; garbage is, but does not count as an answer', () => {
    const silent: ScanFinding = { unit: 5, outcome: { kind: 'silent' } };
    const garbled: ScanFinding = { unit: 6, outcome: { kind: 'garbled', reason: 'CRC mismatch' } };
    expect(describeFinding(silent, holding0, false)).toBeUndefined();
    expect(answered(silent, false)).toBe(false);
    expect(describeFinding(garbled, holding0, false)).toMatch(/^unit 6: garbled answer \(CRC mismatch\)/);
    expect(answered(garbled, false)).toBe(false);
  });

  it('describes the line like a technician writes it', () => {
    expect(
      describeTarget({ kind: 'serial', path: '/dev/ttyUSB0', baudRate: 9600, parity: 'even', stopBits: 1 }),
    ).toBe('serial /dev/ttyUSB0 9600 8E1');
    expect(describeTarget({ kind: 'tcp', host: '10.0.0.5', port: 502 })).toBe('tcp 10.0.0.5:502');
  });
});
