import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../agent/core/log.js';
import { ConnectFailureLog, describeConnectFailure } from '../../../agent/uplink/mqttConnectFailure.js';

const err = (code: string | number, message = 'x') => Object.assign(new Error(message), { code });
const ctx = { url: 'mqtt://u:secret@broker.example:1883', servername: undefined, version: 5 as const };

describe('describeConnectFailure', () => {
  it("names the broker's CONNACK answer in words, with its number", () => {
    const refusedV5 = describeConnectFailure(
      err(1, 'Connection refused: Unacceptable protocol version'),
      ctx,
    );
    expect(refusedV5).toMatchObject({
      code: 'UPLINK_PROTOCOL_REFUSED',
      answer: 'unacceptable protocol version (CONNACK 1)',
      attempt: { kind: 'refused', code: 1 },
    });
    expect(refusedV5.reason).toBe(
      'the broker refused MQTT 5: unacceptable protocol version (CONNACK 1) — the broker speaks only MQTT 3.1.1; set protocolVersion: auto or 3.1.1',
    );
    expect(describeConnectFailure(err(132), { ...ctx, version: 4 }).reason).toBe(
      'the broker refused MQTT 3.1.1: unsupported protocol version (CONNACK 132) — set protocolVersion: auto or 5',
    );
    expect(describeConnectFailure(err(135), ctx)).toMatchObject({
      code: 'UPLINK_AUTH_FAILED',
      answer: 'not authorized (CONNACK 135)',
    });
    expect(describeConnectFailure(err(4), ctx)).toMatchObject({
      code: 'UPLINK_AUTH_FAILED',
      answer: 'bad user name or password (CONNACK 4)',
    });
    expect(describeConnectFailure(err(137), ctx)).toMatchObject({
      code: 'UPLINK_CONNECT_FAILED',
      reason: 'the broker refused the connection: server busy (CONNACK 137)',
    });
    expect(describeConnectFailure(err(2), ctx).reason).toContain(
      'identifier rejected (CONNACK 2) — check clientId',
    );
    expect(describeConnectFailure(err(250), ctx).reason).toContain('reason code 250 (CONNACK 250)');
  });

  it('says what a socket error means, with host:port and never the credentials', () => {
    const refused = describeConnectFailure(err('ECONNREFUSED'), ctx);
    expect(refused).toMatchObject({
      code: 'UPLINK_CONNECT_FAILED',
      answer: null,
      attempt: { kind: 'other' },
    });
    expect(refused.reason).toBe(
      'connection refused — nothing listens at broker.example:1883 (broker down, or wrong url port)',
    );
    expect(describeConnectFailure(err('ENOTFOUND'), ctx).reason).toContain('host not found');
    expect(describeConnectFailure(err('EHOSTUNREACH'), ctx).reason).toContain('unreachable');
    expect(describeConnectFailure(err('ETIMEDOUT'), ctx).reason).toContain('timed out');
    expect(describeConnectFailure(err('EWHATEVER', 'odd'), ctx).reason).toBe('connection failed: odd');
    expect(JSON.stringify(describeConnectFailure(err('ECONNREFUSED'), ctx))).not.toContain('secret');
  });

  it('tells a connection the broker closed without answering from one never opened', () => {
    expect(describeConnectFailure(null, ctx)).toMatchObject({
      code: 'UPLINK_CONNECT_FAILED',
      reason: 'the broker closed the connection without answering the CONNECT',
      attempt: { kind: 'no-answer' },
    });
    expect(describeConnectFailure(err('ECONNRESET'), ctx).attempt).toEqual({ kind: 'no-answer' });
    expect(describeConnectFailure(new Error('connack timeout'), ctx).attempt).toEqual({ kind: 'no-answer' });
    expect(describeConnectFailure(err('ECONNREFUSED'), ctx).attempt).toEqual({ kind: 'other' });
  });

  it('keeps the TLS reasons of mqttSecurity.ts', () => {
    expect(describeConnectFailure(err('SELF_SIGNED_CERT_IN_CHAIN'), ctx)).toMatchObject({
      code: 'UPLINK_TLS_FAILED',
      reason: 'certificate signed by unknown authority — check tls.ca',
    });
  });
});

describe('ConnectFailureLog', () => {
  it('logs the first failure of each kind (TLS and login at error, others at warn), repeats at debug', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      level: 'debug',
      destination: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
    });
    const f = new ConnectFailureLog({ log, uplink: 'center', url: 'mqtts://u:secret@broker:8883' });
    const report = (e: Error | null) =>
      f.report(describeConnectFailure(e, { ...ctx, url: 'mqtts://broker:8883' }), e, 5);
    report(err('SELF_SIGNED_CERT_IN_CHAIN'));
    report(err('SELF_SIGNED_CERT_IN_CHAIN'));
    report(err('ECONNREFUSED'));
    report(err('ECONNREFUSED'));
    report(err(134));
    report(err(1));
    report(err(1));
    f.reset();
    report(err(134));
    expect(lines.map((l) => `${l.level} ${l.code}`)).toEqual([
      '50 UPLINK_TLS_FAILED',
      '20 UPLINK_TLS_FAILED',
      '40 UPLINK_CONNECT_FAILED',
      '20 UPLINK_CONNECT_FAILED',
      '50 UPLINK_AUTH_FAILED',
      '40 UPLINK_PROTOCOL_REFUSED',
      '20 UPLINK_PROTOCOL_REFUSED',
      '50 UPLINK_AUTH_FAILED',
    ]);
    expect(lines[0]).toMatchObject({
      broker: 'broker:8883',
      errorCode: 'SELF_SIGNED_CERT_IN_CHAIN',
      protocol: '5',
    });
    expect(lines[4]).toMatchObject({ answer: 'bad user name or password (CONNACK 134)' });
    expect(lines[5]).toMatchObject({
      msg: 'uplink: the broker refused the MQTT protocol version',
      answer: 'unacceptable protocol version (CONNACK 1)',
    });
    expect(JSON.stringify(lines)).not.toContain('secret');
  });
});
