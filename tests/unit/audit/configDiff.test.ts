import { describe, expect, it } from 'vitest';
import { diffConfigs, isSecretName, REDACTED, redactConfig } from '../../../agent/audit/configDiff.js';

const SALT = '0123456789abcdef0123456789abcdef';

const station = (
  over: { max?: number; password?: string; sm4?: string; url?: string; devices?: number } = {},
) => ({
  version: 1,
  station: { id: '320700W001' },
  devices: Array.from({ length: over.devices ?? 3 }, (_, i) => ({
    id: `d${i}`,
    interval: 5000,
    channels: [{ id: 'cod', range: { min: 0, max: i === 2 ? (over.max ?? 100) : 100 } }],
  })),
  uplinks: [
    {
      id: 'center',
      type: 'mqtt',
      url: over.url ?? 'mqtt://broker:1883',
      username: 'station',
      password: over.password ?? 'p4ssw0rd-one',
    },
    { id: 'platform', type: 'hj212', pw: '123456', key: over.sm4 ?? '0011223344556677' },
  ],
  http: { listen: '127.0.0.1:8080', token: 'status-token-0123456789' },
});

const diff = (a: unknown, b: unknown) => diffConfigs(redactConfig(a, SALT), redactConfig(b, SALT));

describe('redactConfig', () => {
  it('replaces every secret the log redacts, and URL passwords, and keeps everything else', () => {
    const text = JSON.stringify(
      redactConfig(station({ url: 'mqtts://station:url-secret-77@broker:8883' }), SALT),
    );
    for (const secret of [
      'p4ssw0rd-one',
      '123456',
      '0011223344556677',
      'status-token-0123456789',
      'url-secret-77',
    ]) {
      expect(text).not.toContain(secret);
    }
    const r = redactConfig(station({ url: 'mqtts://station:url-secret-77@broker:8883' }), SALT) as {
      uplinks: Record<string, unknown>[];
      http: Record<string, unknown>;
    };
    expect(r.uplinks[0]).toMatchObject({
      password: REDACTED,
      username: 'station',
      url: 'mqtts://station:[redacted]@broker:8883',
    });
    expect(r.uplinks[1]).toMatchObject({ pw: REDACTED, key: REDACTED });
    expect(r.http).toEqual({ listen: '127.0.0.1:8080', token: REDACTED });
  });

  it('treats the names of REDACT_PATHS and *Key/*Token/*Password/*Secret names as secrets', () => {
    for (const name of [
      'password',
      'pw',
      'key',
      'token',
      'authorization',
      'sm4Key',
      'apiToken',
      'clientSecret',
    ])
      expect(isSecretName(name)).toBe(true);
    for (const name of ['username', 'url', 'keepalive', 'max']) expect(isSecretName(name)).toBe(false);
  });

  it('fingerprints differ between stations (salted), so equal passwords do not look alike', () => {
    const a = redactConfig(station(), SALT).$secrets!;
    const b = redactConfig(station(), 'another-db-id').$secrets!;
    expect(a['uplinks[0].password']).toMatch(/^[0-9a-f]{16}$/);
    expect(a['uplinks[0].password']).not.toBe(b['uplinks[0].password']);
  });
});

describe('diffConfigs', () => {
  it('names a changed range by its path with before and after', () => {
    expect(diff(station(), station({ max: 80 }))).toEqual([
      { path: 'devices[2].channels[0].range.max', before: 100, after: 80 },
    ]);
  });

  it('finds nothing between equal configs', () => {
    expect(diff(station(), station())).toEqual([]);
  });

  it('shows that a secret changed without showing either value', () => {
    const changes = diff(station(), station({ password: 'p4ssw0rd-two', sm4: '8899aabbccddeeff' }));
    expect(changes).toEqual([
      { path: 'uplinks[0].password', before: REDACTED, after: REDACTED },
      { path: 'uplinks[1].key', before: REDACTED, after: REDACTED },
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/p4ssw0rd|8899aabb|00112233/);
  });

  it('shows a changed URL password as a change of the redacted URL', () => {
    const changes = diff(
      station({ url: 'mqtt://u:first-pass@broker:1883' }),
      station({ url: 'mqtt://u:second-pass@broker:1883' }),
    );
    expect(changes).toEqual([
      {
        path: 'uplinks[0].url',
        before: 'mqtt://u:[redacted]@broker:1883',
        after: 'mqtt://u:[redacted]@broker:1883',
      },
    ]);
  });

  it('lists added and removed array items and keys, secrets inside them redacted', () => {
    const before = station({ devices: 2 });
    const after = { ...station({ devices: 3 }), watchdog: { enabled: false } };
    delete (after as { http?: unknown }).http;
    const changes = diff(before, after);
    expect(changes.map((c) => c.path)).toEqual(['devices[2]', 'http', 'watchdog']);
    expect(changes[0]).toEqual({ path: 'devices[2]', after: expect.objectContaining({ id: 'd2' }) });
    expect(changes[1]).toEqual({ path: 'http', before: { listen: '127.0.0.1:8080', token: REDACTED } });
    expect('after' in changes[1]!).toBe(false);
  });

  it('diffs against a stored config (JSON round trip) as against the live one', () => {
    const stored = JSON.parse(JSON.stringify(redactConfig(station(), SALT)));
    expect(diffConfigs(stored, redactConfig(station({ max: 80 }), SALT))).toHaveLength(1);
    expect(diffConfigs(stored, redactConfig(station({ password: 'x' }), SALT))).toHaveLength(1);
  });
});
