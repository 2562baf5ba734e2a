import type { ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import {
  type AttemptFailure,
  isProtocolRefusal,
  type MqttWireVersion,
  wireVersionLabel,
} from './mqttProtocol.js';
import { classifyConnectFailure, expectedServername } from './mqttSecurity.js';

/**
 * Why a connection attempt to the broker failed, in words a technician can act on: the broker's
 * CONNACK code by name, the socket error by what it means, TLS and login failures by the setting to
 * check (mqttSecurity.ts). The same words go to the log and to the status (`lastError`).
 */

export type ConnectFailureCode = Extract<
  ErrorCode,
  'UPLINK_TLS_FAILED' | 'UPLINK_AUTH_FAILED' | 'UPLINK_PROTOCOL_REFUSED' | 'UPLINK_CONNECT_FAILED'
>;

export interface ConnectFailure {
  code: ConnectFailureCode;
  /** What went wrong and what to check. */
  reason: string;
  /** The broker's CONNACK answer in words with its number, e.g. "not authorized (CONNACK 135)"; null without one. */
  answer: string | null;
  /** For the protocol version choice (mqttProtocol.ts). */
  attempt: AttemptFailure;
}

/** CONNACK codes by name: 1–5 are MQTT 3.1.1 return codes, 128 and up MQTT 5 reason codes. */
const CONNACK_NAMES: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
  128: 'unspecified error',
  129: 'malformed packet',
  130: 'protocol error',
  131: 'implementation specific error',
  132: 'unsupported protocol version',
  133: 'client identifier not valid',
  134: 'bad user name or password',
  135: 'not authorized',
  136: 'server unavailable',
  137: 'server busy',
  138: 'banned',
  140: 'bad authentication method',
  144: 'topic name invalid',
  149: 'packet too large',
  151: 'quota exceeded',
  153: 'payload format invalid',
  154: 'retain not supported',
  155: 'QoS not supported',
  156: 'use another server',
  157: 'server moved',
  159: 'connection rate exceeded',
};

export function connackName(code: number): string {
  return CONNACK_NAMES[code] ?? `reason code ${code}`;
}

export interface FailureContext {
  url: string;
  servername: string | undefined;
  /** The version this attempt asked for. */
  version: MqttWireVersion;
}

/**
 * Describes a failed attempt from the first client error seen before the connection closed (null:
 * it closed without one).
 */
export function describeConnectFailure(err: Error | null, ctx: FailureContext): ConnectFailure {
  const host = hostOf(ctx.url);
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number') {
    const answer = `${connackName(code)} (CONNACK ${code})`;
    const attempt: AttemptFailure = { kind: 'refused', code };
    if (isProtocolRefusal(code)) {
      const asked = wireVersionLabel(ctx.version);
      const hint =
        ctx.version === 5
          ? 'the broker speaks only MQTT 3.1.1; set protocolVersion: auto or 3.1.1'
          : 'set protocolVersion: auto or 5';
      return {
        code: 'UPLINK_PROTOCOL_REFUSED',
        reason: `the broker refused MQTT ${asked}: ${answer} — ${hint}`,
        answer,
        attempt,
      };
    }
    const security = classifyConnectFailure(err, expectedServername(ctx.url, ctx.servername));
    if (security !== null) return { ...security, answer, attempt };
    const hint = code === 2 || code === 133 ? ' — check clientId (another client may use it)' : '';
    return {
      code: 'UPLINK_CONNECT_FAILED',
      reason: `the broker refused the connection: ${answer}${hint}`,
      answer,
      attempt,
    };
  }
  if (err === null) {
    return {
      code: 'UPLINK_CONNECT_FAILED',
      reason: 'the broker closed the connection without answering the CONNECT',
      answer: null,
      attempt: { kind: 'no-answer' },
    };
  }
  const security = classifyConnectFailure(err, expectedServername(ctx.url, ctx.servername));
  if (security !== null) return { ...security, answer: null, attempt: { kind: 'other' } };
  const failed = (reason: string, attempt: AttemptFailure = { kind: 'other' }): ConnectFailure => ({
    code: 'UPLINK_CONNECT_FAILED',
    reason,
    answer: null,
    attempt,
  });
  switch (code) {
    case 'ECONNREFUSED':
      return failed(`connection refused — nothing listens at ${host} (broker down, or wrong url port)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return failed(`host not found — check the url host and the station's DNS (${host})`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
      return failed(`${host} is unreachable — check the station's network and route`);
    case 'ETIMEDOUT':
      return failed(`connection to ${host} timed out — check the network and firewall`);
    case 'ECONNRESET':
    case 'EPIPE':
      return failed('the broker reset the connection without answering the CONNECT', { kind: 'no-answer' });
  }
  if (err.message === 'connack timeout') {
    return failed('the broker accepted the connection but never answered the CONNECT', { kind: 'no-answer' });
  }
  return failed(`connection failed: ${err.message}`);
}

/**
 * Logs the first failure of each kind clearly (TLS and login at error, everything else at warn, with
 * the reason and the broker's answer): the same failure at every retry would flood the journal, while
 * a new kind (the CA was fixed, now the password is wrong) is news. Repeats go to debug. reset() after
 * a successful connect.
 */
export class ConnectFailureLog {
  private last: string | null = null;

  constructor(private readonly deps: { log: Logger; uplink: string; url: string }) {}

  report(failure: ConnectFailure, err: Error | null, version: MqttWireVersion): void {
    const { log, uplink, url } = this.deps;
    const context = {
      code: failure.code,
      reason: failure.reason,
      ...(failure.answer !== null ? { answer: failure.answer } : {}),
      errorCode: (err as NodeJS.ErrnoException | null)?.code,
      detail: err?.message,
      uplink,
      broker: hostOf(url),
      protocol: wireVersionLabel(version),
    };
    const key = `${failure.code} ${failure.reason}`;
    if (key === this.last) {
      log.debug(context, 'uplink connect failed again');
      return;
    }
    this.last = key;
    switch (failure.code) {
      case 'UPLINK_TLS_FAILED':
        log.error(context, 'uplink TLS connection failed');
        return;
      case 'UPLINK_AUTH_FAILED':
        log.error(context, 'uplink login refused by the broker');
        return;
      case 'UPLINK_PROTOCOL_REFUSED':
        log.warn(context, 'uplink: the broker refused the MQTT protocol version');
        return;
      case 'UPLINK_CONNECT_FAILED':
        log.warn(context, 'uplink could not connect');
        return;
    }
  }

  reset(): void {
    this.last = null;
  }
}

/** host:port only: the url may carry credentials. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}
