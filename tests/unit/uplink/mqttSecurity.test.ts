import { describe, expect, it } from 'vitest';
import type { MqttUplinkConfig } from '../../../agent/config/schema.js';
import {
  classifyConnectFailure,
  expectedServername,
  secureConnectOptions,
} from '../../../agent/uplink/mqttSecurity.js';

const err = (code: string | number, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyConnectFailure', () => {
  it('names the TLS failures a technician meets, with the setting to check', () => {
    const reason = (e: unknown) => classifyConnectFailure(e, 'broker.example.net')?.reason;
    expect(reason(err('UNABLE_TO_VERIFY_LEAF_SIGNATURE'))).toBe(
      'certificate signed by unknown authority — check tls.ca',
    );
    expect(reason(err('SELF_SIGNED_CERT_IN_CHAIN'))).toBe(
      'certificate signed by unknown authority — check tls.ca',
    );
    expect(reason(err('ERR_TLS_CERT_ALTNAME_INVALID'))).toBe(
      'the broker certificate is not for "broker.example.net" — check the url host or tls.servername',
    );
    expect(reason(err('CERT_HAS_EXPIRED'))).toBe('the broker certificate has expired');
    expect(reason(err('CERT_NOT_YET_VALID'))).toContain('check the station clock');
    expect(reason(err('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))).toContain(
      'the broker refused the client certificate',
    );
    expect(reason(err('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'))).toContain('refused the client certificate');
    expect(reason(err('ERR_SSL_WRONG_VERSION_NUMBER'))).toContain('does not speak TLS');
    expect(classifyConnectFailure(err('CERT_HAS_EXPIRED'), 'h')?.code).toBe('UPLINK_TLS_FAILED');
  });

  it('names a refused login (MQTT 5 and 3.1.1 CONNACK codes)', () => {
    for (const code of [134, 4]) {
      expect(classifyConnectFailure(err(code), 'h')).toEqual({
        code: 'UPLINK_AUTH_FAILED',
        reason: 'bad user name or password — check username and the password setting',
      });
    }
    for (const code of [135, 5])
      expect(classifyConnectFailure(err(code), 'h')?.code).toBe('UPLINK_AUTH_FAILED');
  });

  it('leaves other errors alone (they are ordinary connection errors)', () => {
    expect(classifyConnectFailure(err('ECONNREFUSED'), 'h')).toBeNull();
    expect(classifyConnectFailure(err('ECONNRESET'), 'h')).toBeNull();
    expect(classifyConnectFailure(new Error('boom'), 'h')).toBeNull();
    expect(classifyConnectFailure(undefined, 'h')).toBeNull();
    expect(classifyConnectFailure('text', 'h')).toBeNull();
  });
});

describe('secureConnectOptions', () => {
  const base = { url: 'mqtts://127.0.0.1:8883' } as MqttUplinkConfig;

  it('always verifies the broker certificate, with or without tls settings', () => {
    expect(secureConnectOptions(base, {})).toEqual({ ok: true, options: { rejectUnauthorized: true } });
    const withName = secureConnectOptions({ ...base, tls: { servername: 'broker' } }, {});
    expect(withName).toEqual({ ok: true, options: { servername: 'broker', rejectUnauthorized: true } });
  });

  it('passes the login; an unset variable is a problem, not an empty password', () => {
    const u = { ...base, username: 'st', passwordEnv: 'PW' };
    expect(secureConnectOptions(u, { PW: 'secret' })).toEqual({
      ok: true,
      options: { username: 'st', password: 'secret', rejectUnauthorized: true },
    });
    expect(secureConnectOptions(u, {})).toEqual({
      ok: false,
      problems: [{ path: ['passwordEnv'], message: 'the environment variable PW is not set' }],
    });
  });

  it('checks names against tls.servername, else the url host', () => {
    expect(expectedServername('mqtts://broker.example.net:8883', undefined)).toBe('broker.example.net');
    expect(expectedServername('mqtts://10.0.0.1:8883', 'broker')).toBe('broker');
  });
});
