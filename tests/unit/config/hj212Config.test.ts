import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigText } from '../../../agent/config/load.js';

const MN = '010000A8900016F000169DC0';

function load(uplink: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const text = stringify({
    version: 1,
    station: { id: 's1' },
    storage: { path: './agent.db' },
    uplinks: [{ id: 'province', type: 'hj212', host: '10.0.0.1', port: 6000, st: 21, ...uplink }],
  });
  return loadConfigText(text, 'hj212.yaml', env);
}

function problems(uplink: Record<string, unknown>): string[] {
  const r = load(uplink);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('hj212 uplink settings', () => {
  it('defaults: all data, 30 s real-time, 1 min minute data, acks, 10 s × 3, no time set applied', () => {
    const r = load({ version: 2025, mn: MN, pw: '123456' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.uplinks[0]).toEqual({
      id: 'province',
      type: 'hj212',
      host: '10.0.0.1',
      port: 6000,
      version: '2025',
      mn: MN,
      pw: '123456',
      st: '21',
      send: ['realtime', 'minute', 'hour', 'day'],
      backfill: 'all',
      rtdInterval: 30_000,
      minInterval: 60_000,
      ack: true,
      timeout: 10_000,
      retries: 3,
      reconnect: { min: 1000, max: 60_000 },
      applyTimeSet: false,
      historyMaxRecords: 3000,
      insufficientDataFlag: 'H',
    });
  });

  it('the SM4 key comes from the environment', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
    const encryption = { type: 'sm4', key: '${HJ212_KEY}' };
    const r = load({ version: 2025, mn: MN, pw: '123456', encryption }, { HJ212_KEY: '0123456789abcdef' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.uplinks[0]).toMatchObject({
      encryption: {
        type: 'sm4',
        key: '0123456789abcdef',
        preset: 'standard',
        // The standard's text: raw ciphertext bytes, CRC of the plaintext, the short tail plain.
        layout: { encoding: 'raw', crc: 'plaintext', padding: 'none', tail: 'plain', field: '' },
        rotate: 90 * 86_400_000,
      },
    });
  });

  it('the SM4 layout: a preset, its parts overridden one by one; the former `ciphertext` still read', () => {
    const layoutOf = (encryption: Record<string, unknown>) => {
      const r = load({
        version: 2025,
        mn: MN,
        pw: '123456',
        encryption: { type: 'sm4', key: '0123456789abcdef', ...encryption },
      });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      const e = r.config.uplinks[0]!;
      return e.type === 'hj212' ? e.encryption?.layout : undefined;
    };
    expect(layoutOf({ preset: 'crc-as-sent' })).toEqual({
      encoding: 'hex',
      crc: 'ciphertext',
      padding: 'none',
      tail: 'plain',
      field: '',
    });
    expect(layoutOf({ crc: 'ciphertext', encoding: 'hex' })).toEqual(layoutOf({ preset: 'crc-as-sent' }));
    expect(layoutOf({ preset: 'printed-example', crc: 'ciphertext' })).toEqual({
      encoding: 'braces',
      crc: 'ciphertext',
      padding: 'none',
      tail: 'plain',
      field: '',
    });
    expect(layoutOf({ preset: 'encrypted-data-field', field: 'Cipher' })).toMatchObject({
      encoding: 'hex',
      padding: 'zero',
      field: 'Cipher',
    });
    expect(layoutOf({ encoding: 'base64', tail: 'encoded' })).toMatchObject({
      encoding: 'base64',
      tail: 'encoded',
    });
    expect(layoutOf({ ciphertext: 'hex' })).toMatchObject({ encoding: 'hex', crc: 'plaintext' });
    // A 32-hex-digit key is 16 bytes written as hex.
    expect(layoutOf({ key: '30303030303030303030303030303030' })).toMatchObject({ encoding: 'raw' });
  });

  it('an unknown preset or a contradiction is refused with its setting path', () => {
    const with_ = (encryption: Record<string, unknown>) =>
      problems({
        version: 2025,
        mn: MN,
        pw: '123456',
        encryption: { type: 'sm4', key: '0123456789abcdef', ...encryption },
      });
    expect(with_({ preset: 'hutool' })).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.encryption\.preset: .*standard.*printed-example.*crc-as-sent/),
    ]);
    expect(with_({ encoding: 'hex', ciphertext: 'raw' })).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.encryption\.ciphertext: .*former name of encoding/),
    ]);
    expect(with_({ crc: 'both' })).toEqual([expect.stringMatching(/^uplinks\[0\]\.encryption\.crc: /)]);
  });

  it('encryption and heartbeat are HJ 212-2025 only', () => {
    expect(
      problems({
        version: 2017,
        mn: 'STATION-1',
        pw: '123456',
        heartbeat: '60s',
        encryption: { type: 'sm4', key: '0123456789abcdef' },
      }),
    ).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.heartbeat: .*2025 only/),
      expect.stringMatching(/^uplinks\[0\]\.encryption: .*2025 only/),
    ]);
  });

  it('MN, password, ST and key are checked', () => {
    expect(problems({ version: 2025, mn: 'STATION-1', pw: '12345' })).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.mn: .*24 hex digits/),
      expect.stringMatching(/^uplinks\[0\]\.pw: .*6 characters/),
    ]);
    expect(problems({ version: 2017, mn: 'X'.repeat(25), pw: '123456' })).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.mn: .*at most 24/),
    ]);
    expect(
      problems({ version: 2025, mn: MN, pw: '123456', encryption: { type: 'sm4', key: 'short' } }),
    ).toEqual([expect.stringMatching(/^uplinks\[0\]\.encryption\.key: .*16-byte/)]);
    expect(problems({ version: 2025, mn: MN, pw: '123456', st: 321 })).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.st: .*2-digit/),
    ]);
  });

  it('an unquoted password is refused with a hint rather than losing a leading zero', () => {
    expect(problems({ version: 2017, mn: 'STATION-1', pw: 12345 })).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.pw: .*quoted string/),
    ]);
  });

  it('backfill: all, or a duration; anything else refused with its path', () => {
    const base = { version: 2025, mn: MN, pw: '123456' };
    const r = load({ ...base, backfill: '1d' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.uplinks[0]).toMatchObject({ backfill: 86_400_000 });
    const none = load({ ...base, backfill: '0s' });
    expect(none.ok && none.config.uplinks[0]).toMatchObject({ backfill: 0 });
    const bad = problems({ ...base, backfill: 'yesterday' });
    expect(bad).toEqual([
      'uplinks[0].backfill: expected "all" or a duration such as "1d", "12h" or "0s" (got "yesterday")',
    ]);
  });

  it('minInterval is one the standard allows', () => {
    expect(problems({ version: 2017, mn: 'STATION-1', pw: '123456', minInterval: '7m' })).toEqual([
      expect.stringMatching(/^uplinks\[0\]\.minInterval: expected one of 1m, 2m/),
    ]);
  });
});
