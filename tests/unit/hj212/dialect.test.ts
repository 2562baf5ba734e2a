import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { heartbeatMs } from '../../../agent/config/hj212Schema.js';
import { loadConfigText } from '../../../agent/config/load.js';
import { HJ212_VERSIONS, makeFlag, versionOfFlag } from '../../../drivers/hj212/codes.js';
import {
  dialectOf,
  dialectOfFlagVersion,
  HJ212_2017,
  HJ212_2025,
  HJ212_DIALECTS,
} from '../../../drivers/hj212/dialect.js';
import { dataUpload } from '../../../drivers/hj212/messages.js';

/** Issue 15: what differs between HJ 212-2017 and HJ 212-2025, asked of a dialect, not a version string. */

const MN_2025 = '010000A8900016F000169DC0';

function problems(uplink: Record<string, unknown>): string[] {
  const text = stringify({
    version: 1,
    station: { id: 's1' },
    storage: { path: './agent.db' },
    uplinks: [
      { id: 'province', type: 'hj212', host: '10.0.0.1', port: 6000, st: 21, pw: '123456', ...uplink },
    ],
  });
  const r = loadConfigText(text, 'dialect.yaml', {});
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('HJ 212 dialects', () => {
  it('2017: Flag version 1, free-form MN, no SM4, heartbeat, RF or key exchange', () => {
    expect(HJ212_2017).toEqual({
      version: '2017',
      title: 'HJ 212-2017',
      flagVersion: 1,
      mn: {
        pattern: /^[^;,=&\s]{1,24}$/,
        expected: 'expected an MN of at most 24 characters without blanks or ; , = &',
      },
      wireMn: undefined,
      allowsEncryption: false,
      hasHeartbeat: false,
      defaultHeartbeatMs: 0,
      marksResend: false,
      hasKeyExchange: false,
    });
  });

  it('2025: Flag version 2, 24 hex digit MN, SM4, 60 s heartbeat, RF=1, key exchange', () => {
    expect(HJ212_2025).toEqual({
      version: '2025',
      title: 'HJ 212-2025',
      flagVersion: 2,
      mn: {
        pattern: /^[0-9A-Fa-f]{24}$/,
        expected: 'HJ 212-2025 expects the MN the platform assigned: 24 hex digits',
      },
      wireMn: /^[0-9A-F]{24}$/,
      allowsEncryption: true,
      hasHeartbeat: true,
      defaultHeartbeatMs: 60_000,
      marksResend: true,
      hasKeyExchange: true,
    });
  });

  it('the MN patterns: 2017 takes any header value up to 24, 2025 only 24 hex digits (either case in config)', () => {
    expect(HJ212_2017.mn.pattern.test('STATION-1')).toBe(true);
    expect(HJ212_2017.mn.pattern.test('X'.repeat(25))).toBe(false);
    expect(HJ212_2017.mn.pattern.test('A;B')).toBe(false);
    expect(HJ212_2025.mn.pattern.test(MN_2025)).toBe(true);
    expect(HJ212_2025.mn.pattern.test(MN_2025.toLowerCase())).toBe(true);
    expect(HJ212_2025.mn.pattern.test('STATION-1')).toBe(false);
    expect(HJ212_2025.wireMn?.test(MN_2025.toLowerCase())).toBe(false);
  });

  it('dialectOf and the Flag find the same dialect each way', () => {
    expect(HJ212_DIALECTS).toEqual([HJ212_2017, HJ212_2025]);
    expect(HJ212_VERSIONS).toEqual(['2017', '2025']);
    for (const d of HJ212_DIALECTS) {
      expect(dialectOf(d.version)).toBe(d);
      expect(dialectOfFlagVersion(d.flagVersion)).toBe(d);
      expect(makeFlag(d.version)).toBe(d.flagVersion << 2);
      expect(versionOfFlag(makeFlag(d.version, { ack: true, split: true }))).toBe(d.version);
    }
    expect(makeFlag('2017', { ack: true })).toBe(5);
    expect(makeFlag('2025', { ack: true })).toBe(9);
    expect(dialectOfFlagVersion(0)).toBeUndefined();
    expect(dialectOfFlagVersion(3)).toBeUndefined();
    expect(versionOfFlag(0)).toBe('2005');
    expect(versionOfFlag(3 << 2)).toBe('other');
  });

  it('the facts reach the messages and the heartbeat in effect', () => {
    const upload = (version: '2017' | '2025') =>
      dataUpload(
        { version, st: '21', pw: '123456', mn: MN_2025 },
        { cn: '2051', qn: '1', dataTime: '20260101000000', factors: {}, ack: true, resend: true },
      ).rf;
    expect(upload('2017')).toBeUndefined();
    expect(upload('2025')).toBe(1);
    expect(heartbeatMs({ version: '2017', heartbeat: undefined })).toBe(0);
    expect(heartbeatMs({ version: '2025', heartbeat: undefined })).toBe(60_000);
    expect(heartbeatMs({ version: '2025', heartbeat: 0 })).toBe(0);
    expect(heartbeatMs({ version: '2025', heartbeat: 30_000 })).toBe(30_000);
  });

  it('the config refuses SM4 and the heartbeat where the dialect has none', () => {
    const encryption = { type: 'sm4', key: '0123456789abcdef' };
    expect(problems({ version: 2017, mn: 'STATION-1', heartbeat: '30s', encryption })).toEqual([
      'uplinks[0].heartbeat: the 9015 heartbeat is HJ 212-2025 only: remove it or set version: 2025 (got "30s")',
      'uplinks[0].encryption: SM4 encryption is HJ 212-2025 only: remove it or set version: 2025',
    ]);
    expect(problems({ version: 2025, mn: MN_2025, heartbeat: '30s', encryption })).toEqual([]);
  });

  it('the config refuses a version that has no dialect', () => {
    expect(problems({ version: 2019, mn: 'STATION-1' })).toEqual([
      'uplinks[0].version: expected one of 2017, 2025, 2017, 2025 (got 2019)',
    ]);
    expect(problems({ version: '2005', mn: 'STATION-1' })).toEqual([
      'uplinks[0].version: expected one of 2017, 2025, 2017, 2025 (got "2005")',
    ]);
  });
});
