import type { IClientOptions } from 'mqtt';
import { type CredentialProblem, readMqttCredentials } from '../config/mqttCredentials.js';
import type { MqttUplinkConfig } from '../config/schema.js';
import type { ErrorCode } from '../core/errors.js';

/**
 * The security side of connecting an MQTT uplink: the login and TLS options, read afresh for every
 * connection (a renewed certificate or rotated password applies at the next reconnect, without a
 * reload), and what a failed connect means.
 */

export type SecureOptions =
  | {
      ok: true;
      options: Pick<
        IClientOptions,
        'username' | 'password' | 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'
      >;
    }
  | { ok: false; problems: CredentialProblem[] };

export function secureConnectOptions(config: MqttUplinkConfig, env: NodeJS.ProcessEnv): SecureOptions {
  const r = readMqttCredentials(config, { env });
  if (!r.ok) return r;
  const c = r.credentials;
  return {
    ok: true,
    options: {
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(c.password !== undefined ? { password: c.password } : {}),
      ...(c.ca !== undefined ? { ca: c.ca } : {}),
      ...(c.cert !== undefined ? { cert: c.cert, key: c.key } : {}),
      ...(c.servername !== undefined ? { servername: c.servername } : {}),
      // Never configurable: an uplink that accepts any certificate hands readings and the password to
      // whoever sits on the cellular path. A test broker gets a CA file instead (tls.ca).
      rejectUnauthorized: true,
    },
  };
}

/**
 * Why a connection to the broker failed, in words a technician can act on. A TLS or login failure
 * repeats on every retry until someone fixes a file or the broker, so it is named once, clearly,
 * with the setting to check, instead of a generic "connection closed".
 */
export interface ConnectFailure {
  code: Extract<ErrorCode, 'UPLINK_TLS_FAILED' | 'UPLINK_AUTH_FAILED'>;
  /** What went wrong and what to check, e.g. "certificate signed by unknown authority — check tls.ca". */
  reason: string;
}

/** Node/OpenSSL codes of a broker certificate the station does not trust. */
const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** The TLS or login failure `err` is, or null for any other error (refused, reset, timeout…). */
export function classifyConnectFailure(err: unknown, servername: string): ConnectFailure | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' || typeof e?.code === 'number' ? e.code : undefined;
  const tls = (reason: string): ConnectFailure => ({ code: 'UPLINK_TLS_FAILED', reason });
  if (typeof code === 'string') {
    if (UNKNOWN_AUTHORITY.has(code)) return tls('certificate signed by unknown authority — check tls.ca');
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return tls(`the broker certificate is not for "${servername}" — check the url host or tls.servername`);
    }
    if (code === 'CERT_HAS_EXPIRED') return tls('the broker certificate has expired');
    if (code === 'CERT_NOT_YET_VALID') {
      return tls('the broker certificate is not valid yet — check the station clock');
    }
    if (code === 'CERT_REVOKED') return tls('the broker certificate is revoked');
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
      return tls('the broker does not speak TLS on this port — check the url port and scheme');
    }
    // Alerts sent by the broker during or right after the handshake: it did not accept our certificate.
    if (/^ERR_SSL_.*ALERT_(CERTIFICATE|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE)/.test(code)) {
      return tls(
        'the broker refused the client certificate — check tls.cert and tls.key and that the broker trusts their CA',
      );
    }
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_') || code.startsWith('ERR_TLS_')) {
      return tls(`TLS error ${code}`);
    }
  }
  // CONNACK return codes: MQTT 5 0x86/0x87, MQTT 3.1.1 4/5 (mqtt.js puts them in `code`).
  if (code === 134 || code === 4) {
    return {
      code: 'UPLINK_AUTH_FAILED',
      reason: 'bad user name or password — check username and the password setting',
    };
  }
  if (code === 135 || code === 5) {
    return {
      code: 'UPLINK_AUTH_FAILED',
      reason: 'not authorised by the broker — check username, password and the broker ACL',
    };
  }
  if (typeof e?.message === 'string' && e.message === 'TLS not authorized') {
    return tls('the broker certificate was not accepted');
  }
  return null;
}

/** The name the broker certificate is checked against: tls.servername, else the url's host. */
export function expectedServername(url: string, servername: string | undefined): string {
  if (servername !== undefined) return servername;
  try {
    return new URL(url).hostname;
  } catch {
    return '?';
  }
}
