import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigText } from '../../../agent/config/load.js';
import { readMqttCredentials } from '../../../agent/config/mqttCredentials.js';
import type { MqttUplinkConfig } from '../../../agent/config/schema.js';
import { makeTestPki, type TestPki } from '../../helpers/tlsCerts.js';

let pki: TestPki;
let dir: string;
beforeAll(() => {
  pki = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'mqtt-sec-'));
});
afterAll(() => {
  pki.remove();
  rmSync(dir, { recursive: true, force: true });
});

const URL_TLS = 'mqtts://broker.example.net:8883';

function load(uplink: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) {
  const text = stringify({
    version: 1,
    station: { id: 's1' },
    storage: { path: './agent.db' },
    uplinks: [{ id: 'center', type: 'mqtt', url: URL_TLS, ...uplink }],
  });
  return loadConfigText(text, join(dir, 'station.yaml'), env);
}

function problems(uplink: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): string[] {
  const r = load(uplink, env);
  return r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`);
}

function uplinkOf(uplink: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): MqttUplinkConfig {
  const r = load(uplink, env);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.config.uplinks[0] as MqttUplinkConfig;
}

describe('MQTT TLS and credential settings', () => {
  it('resolves relative tls and passwordFile paths against the config file folder', () => {
    copyFileSync(pki.ca, join(dir, 'ca.crt'));
    copyFileSync(pki.clientCert, join(dir, 'station.crt'));
    copyFileSync(pki.clientKey, join(dir, 'station.key'));
    writeFileSync(join(dir, 'pw'), 'secret\n');
    const u = uplinkOf({
      username: 'st',
      passwordFile: 'pw',
      tls: { ca: 'ca.crt', cert: './station.crt', key: pki.clientKey, servername: 'broker' },
    });
    expect(u.tls).toEqual({
      ca: join(dir, 'ca.crt'),
      cert: join(dir, 'station.crt'),
      key: pki.clientKey,
      servername: 'broker',
    });
    expect(u.passwordFile).toBe(join(dir, 'pw'));
  });

  it('refuses tls on a plain mqtt:// url and a certificate without its key', () => {
    expect(problems({ url: 'mqtt://127.0.0.1:1883', tls: { ca: pki.ca } })).toEqual([
      'uplinks[0].tls: tls needs an mqtts:// url (this url is plain mqtt://)',
    ]);
    expect(problems({ tls: { cert: pki.clientCert } })).toEqual([
      'uplinks[0].tls.key: missing required setting "key" (a client certificate needs both tls.cert and tls.key)',
    ]);
    expect(problems({ tls: { key: pki.clientKey } })).toEqual([
      'uplinks[0].tls.cert: missing required setting "cert" (a client certificate needs both tls.cert and tls.key)',
    ]);
  });

  it('refuses a password without a user name, and more than one password source', () => {
    expect(problems({ passwordEnv: 'MQTT_PASSWORD' }, { MQTT_PASSWORD: 'x' })).toEqual([
      'uplinks[0].username: missing required setting "username" (passwordEnv is set without username: a broker ignores a password without a user name)',
    ]);
    expect(problems({ username: 'st', password: 'a', passwordEnv: 'MQTT_PASSWORD' })).toEqual([
      'uplinks[0].passwordEnv: give the password once: password and passwordEnv are both set (use one of password, passwordFile, passwordEnv) (got "MQTT_PASSWORD")',
    ]);
    expect(problems({ username: 'st', passwordEnv: 'not a name' })[0]).toContain(
      'expected an environment variable name',
    );
  });

  it('reports missing files and unset variables at load time, with the line of the setting', () => {
    const r = load({
      username: 'st',
      passwordEnv: 'MQTT_PASSWORD',
      tls: { ca: 'missing-ca.pem', cert: pki.clientCert, key: join(dir, 'nope.key') },
    });
    if (r.ok) throw new Error('expected problems');
    expect(r.code).toBe('CONFIG_INVALID');
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'uplinks[0].passwordEnv: the environment variable MQTT_PASSWORD is not set',
      `uplinks[0].tls.ca: cannot read ${join(dir, 'missing-ca.pem')}: ENOENT: no such file or directory`,
      `uplinks[0].tls.key: cannot read ${join(dir, 'nope.key')}: ENOENT: no such file or directory`,
    ]);
    expect(r.problems.every((p) => p.line > 1 && p.file === join(dir, 'station.yaml'))).toBe(true);
  });

  it('refuses a CA file without a certificate, a broken key and a key of another certificate', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(problems({ tls: { ca: junk } })).toEqual([
      'uplinks[0].tls.ca: not a usable PEM CA certificate: no PEM certificate in the file',
    ]);
    expect(problems({ tls: { cert: pki.clientCert, key: junk } })[0]).toMatch(
      /^uplinks\[0\]\.tls\.key: not a usable unencrypted PEM private key/,
    );
    expect(problems({ tls: { cert: pki.clientCert, key: pki.serverKey } })).toEqual([
      'uplinks[0].tls.key: the key does not belong to the certificate in tls.cert',
    ]);
    expect(problems({ tls: { cert: junk, key: pki.clientKey } })[0]).toMatch(
      /^uplinks\[0\]\.tls\.cert: not a usable PEM certificate/,
    );
  });

  it('an empty password file is a problem; no message ever carries the password', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(problems({ username: 'st', passwordFile: empty })).toEqual([
      `uplinks[0].passwordFile: ${empty} is empty`,
    ]);
    const secret = 'pa55-word-in-a-problem?';
    const all = problems({ username: 'st', password: secret, passwordFile: empty, tls: { ca: empty } });
    expect(all.length).toBeGreaterThan(0);
    expect(all.join('\n')).not.toContain(secret);
  });
});

describe('readMqttCredentials', () => {
  it('reads the password from a file without its trailing newline, or from the environment', () => {
    const file = join(dir, 'pw-crlf');
    writeFileSync(file, 'p@ss word\r\n');
    const fromFile = readMqttCredentials({ username: 'st', passwordFile: file }, { env: {} });
    expect(fromFile).toEqual({ ok: true, credentials: { username: 'st', password: 'p@ss word' } });
    const fromEnv = readMqttCredentials({ username: 'st', passwordEnv: 'PW' }, { env: { PW: 'e' } });
    expect(fromEnv).toEqual({ ok: true, credentials: { username: 'st', password: 'e' } });
  });

  it('reads the TLS files through the injected reader on every call (renewed files are picked up)', () => {
    const reads: string[] = [];
    const files: Record<string, string> = { '/ca': pki.ca, '/c': pki.clientCert, '/k': pki.clientKey };
    const readFile = (p: string) => {
      reads.push(p);
      return readFileSync(files[p]!);
    };
    const tls = { ca: '/ca', cert: '/c', key: '/k' };
    const first = readMqttCredentials({ tls }, { env: {}, readFile });
    readMqttCredentials({ tls }, { env: {}, readFile });
    expect(first.ok).toBe(true);
    expect(reads).toEqual(['/ca', '/c', '/k', '/ca', '/c', '/k']);
  });
});
