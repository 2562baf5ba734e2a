import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigText } from '../../../agent/config/load.js';

function load(payload: unknown) {
  const uplink = {
    id: 'center',
    type: 'mqtt',
    url: 'mqtt://127.0.0.1:1883',
    ...(payload === undefined ? {} : { payload }),
  };
  const text = stringify({
    version: 1,
    station: { id: 's1' },
    storage: { path: './agent.db' },
    uplinks: [uplink],
  });
  return loadConfigText(text, 'payload.yaml', {});
}

describe('uplinks[].payload', () => {
  it('defaults to JSON, the encoding every consumer reads', () => {
    const r = load(undefined);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.uplinks[0]).toMatchObject({ payload: { encoding: 'json' } });
  });

  it('accepts columnar-deflate', () => {
    const r = load({ encoding: 'columnar-deflate' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.uplinks[0]).toMatchObject({ payload: { encoding: 'columnar-deflate' } });
  });

  it('refuses an unknown encoding or setting with the setting path', () => {
    for (const payload of [{ encoding: 'gzip' }, { encoding: 'json', level: 9 }]) {
      const r = load(payload);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.map((p) => p.path).join(' ')).toContain('uplinks[0].payload');
    }
  });
});
