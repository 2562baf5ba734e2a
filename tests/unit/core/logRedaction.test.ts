import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { redact } from '../../../agent/app/agentSupervisor.js';
import { loadConfigText } from '../../../agent/config/load.js';
import { createLogger } from '../../../agent/core/log.js';

const SECRETS = {
  mqtt: 'mqtt-secret-password-1',
  pw: '9x8y7z',
  key: 'SM4KEY0123456789',
  token: 'status-token-abcdefgh-123',
};

function capture() {
  const lines: string[] = [];
  const log = createLogger({ level: 'trace', destination: { write: (l: string) => lines.push(l) } });
  return { log, text: () => lines.join('') };
}

describe('log redaction', () => {
  it('keeps passwords, pw, keys and tokens out of log lines, at the top level and one level down', () => {
    const { log, text } = capture();
    log.info({ password: SECRETS.mqtt, pw: SECRETS.pw, key: SECRETS.key, token: SECRETS.token }, 'top');
    log.child({ uplink: 'a' }).warn({ auth: { password: SECRETS.mqtt, token: SECRETS.token } }, 'nested');
    log.debug({ req: { authorization: `Bearer ${SECRETS.token}` } }, 'request');
    for (const s of Object.values(SECRETS)) expect(text()).not.toContain(s);
    expect(text()).toContain('[redacted]');
  });

  it('redacts a whole loaded config logged as `config`', () => {
    const loaded = loadConfigText(
      stringify({
        version: 1,
        station: { id: 's1' },
        storage: { path: './agent.db' },
        uplinks: [
          { id: 'center', type: 'mqtt', url: 'mqtt://b:1883', username: 'u', password: SECRETS.mqtt },
          {
            id: 'province',
            type: 'hj212',
            host: '10.0.0.1',
            port: 6000,
            st: 21,
            version: 2025,
            mn: '010000A8900016F000169DC0',
            pw: SECRETS.pw,
          },
        ],
        http: { listen: '0.0.0.0:8080', token: SECRETS.token },
      }),
      'redaction.yaml',
      {},
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const { log, text } = capture();
    log.info({ config: loaded.config }, 'config');
    for (const s of Object.values(SECRETS)) expect(text()).not.toContain(s);
    expect(text()).toContain('mqtt://b:1883'); // the rest of the config is still there
  });

  it('config/get shows the config file without the http token or passwords', () => {
    const text = `http:\n  listen: 0.0.0.0:8080\n  token: ${SECRETS.token}\nuplinks:\n  - password: ${SECRETS.mqtt}\n`;
    const shown = redact(text);
    expect(shown).not.toContain(SECRETS.token);
    expect(shown).not.toContain(SECRETS.mqtt);
    expect(shown).toContain('0.0.0.0:8080');
  });
});
