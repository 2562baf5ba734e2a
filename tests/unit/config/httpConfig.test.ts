import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { isLoopback, parseListen } from '../../../agent/config/httpSchema.js';
import { loadConfigText } from '../../../agent/config/load.js';

function load(http: Record<string, unknown> | undefined, env: NodeJS.ProcessEnv = {}) {
  const text = stringify({
    version: 1,
    station: { id: 's1' },
    storage: { path: './agent.db' },
    ...(http ? { http } : {}),
  });
  return loadConfigText(text, 'http.yaml', env);
}

function problems(http: Record<string, unknown>): string[] {
  const r = load(http);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('http settings', () => {
  it('default: enabled on 127.0.0.1:8080 without a token', () => {
    const r = load(undefined);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.http).toEqual({ enabled: true, listen: '127.0.0.1:8080' });
  });

  it('a non-loopback listen address without a token is a config error', () => {
    expect(problems({ listen: '0.0.0.0:8080' })).toEqual([
      'http.token: missing required setting "token" (listening on 0.0.0.0:8080 (beyond loopback) requires http.token)',
    ]);
    expect(problems({ listen: '192.168.1.20:8080' })).toHaveLength(1);
  });

  it('a non-loopback listen address with a token from the environment is accepted', () => {
    const r = load(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's env substitution syntax
      { listen: '0.0.0.0:8080', token: '${STATUS_TOKEN}' },
      { STATUS_TOKEN: 'a-long-enough-token-1234' },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.http.token).toBe('a-long-enough-token-1234');
  });

  it('disabled needs no token wherever it would listen', () => {
    expect(problems({ enabled: false, listen: '0.0.0.0:8080' })).toEqual([]);
  });

  it('rejects a malformed address and a short token', () => {
    expect(problems({ listen: '8080' })).toEqual(['http.listen: expected host:port, e.g. 127.0.0.1:8080']);
    // The value of a secret is never echoed in a problem.
    expect(problems({ token: 'short' })).toEqual(['http.token: expected a token of at least 16 characters']);
  });

  it('parses host:port and [v6]:port; only loopback hosts count as loopback', () => {
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('localhost:70000')).toBeNull();
    expect(['127.0.0.1', '127.3.2.1', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'station.local'].some(isLoopback)).toBe(false);
  });
});
