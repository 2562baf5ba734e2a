import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCrc, hj212Crc, isPlausibleCrc } from '../../../drivers/hj212/crc.js';
import { bytes, CHINESE_SEGMENT, REALTIME_SEGMENT } from './vectors.js';

/** The Modbus CRC-16 (same polynomial, byte XORed before shifting), to show the two differ. */
function modbusCrc(data: Uint8Array): number {
  let reg = 0xffff;
  for (const b of data) {
    reg ^= b;
    for (let i = 0; i < 8; i++) reg = reg & 1 ? (reg >> 1) ^ 0xa001 : reg >> 1;
  }
  return reg;
}

describe('hj212Crc', () => {
  it('matches the check vectors of the 2017 and 2025 texts', () => {
    expect(
      formatCrc(
        hj212Crc(
          bytes(
            'QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&',
          ),
        ),
      ),
    ).toBe('1C80');
    expect(
      formatCrc(
        hj212Crc(
          bytes('QN=20240601085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=9;CP=&&&&'),
        ),
      ),
    ).toBe('2200');
  });

  it('matches our own vectors, computed over UTF-8 bytes', () => {
    expect(formatCrc(hj212Crc(bytes(CHINESE_SEGMENT)))).toBe('EE01');
    expect(formatCrc(hj212Crc(bytes(REALTIME_SEGMENT)))).toBe('A3C1');
  });

  it('is not the Modbus CRC', () => {
    const data = bytes(REALTIME_SEGMENT);
    expect(hj212Crc(data)).not.toBe(modbusCrc(data));
  });

  it('only ever ends in 00 01 40 41 80 81 C0 C1 (any non-empty input)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (data) => {
        const crc = hj212Crc(data);
        expect(isPlausibleCrc(crc)).toBe(true);
        expect(['00', '01', '40', '41', '80', '81', 'C0', 'C1']).toContain(formatCrc(crc).slice(2));
      }),
    );
    expect(isPlausibleCrc(0x1c82)).toBe(false);
  });
});
