import { describe, expect, it } from 'vitest';
import { ProtocolVersionChoice } from '../../../agent/uplink/mqttProtocol.js';

const refused = (code: number) => ({ kind: 'refused', code }) as const;
const noAnswer = { kind: 'no-answer' } as const;
const other = { kind: 'other' } as const;

describe('ProtocolVersionChoice', () => {
  it('explicit 5 and 3.1.1 never change, whatever the broker answers', () => {
    const five = new ProtocolVersionChoice('5');
    expect(five.version).toBe(5);
    expect(five.failed(5, refused(1))).toEqual({ version: 5, immediately: false, settledOn311: false });
    expect(five.failed(5, noAnswer)).toEqual({ version: 5, immediately: false, settledOn311: false });
    expect(five.version).toBe(5);

    const old = new ProtocolVersionChoice('3.1.1');
    expect(old.version).toBe(4);
    expect(old.failed(4, refused(1)).version).toBe(4);
    expect(old.connected(4)).toBe(false);
    expect(old.version).toBe(4);
  });

  it('auto asks for 5 and stays there on a broker that accepts it', () => {
    const c = new ProtocolVersionChoice('auto');
    expect(c.version).toBe(5);
    expect(c.connected(5)).toBe(false);
    expect(c.version).toBe(5);
  });

  it.each([
    ['a 3.1.1 broker (return code 1)', 1],
    ['an MQTT 5 broker configured without 5 (reason code 132)', 132],
  ])('auto falls back to 3.1.1 at once on a protocol refusal from %s, and keeps it', (_what, code) => {
    const c = new ProtocolVersionChoice('auto');
    expect(c.failed(5, refused(code))).toEqual({ version: 4, immediately: true, settledOn311: true });
    expect(c.version).toBe(4);
    expect(c.connected(4)).toBe(false);
    // Later failures of the 3.1.1 connection (broker restart, network) do not bring 5 back.
    expect(c.failed(4, other)).toEqual({ version: 4, immediately: false, settledOn311: false });
    expect(c.failed(4, noAnswer).version).toBe(4);
    expect(c.version).toBe(4);
  });

  it('auto: other refusals and unreachable brokers are not about the version', () => {
    const c = new ProtocolVersionChoice('auto');
    expect(c.failed(5, refused(135))).toEqual({ version: 5, immediately: false, settledOn311: false });
    expect(c.failed(5, refused(5))).toEqual({ version: 5, immediately: false, settledOn311: false });
    expect(c.failed(5, other)).toEqual({ version: 5, immediately: false, settledOn311: false });
    expect(c.version).toBe(5);
  });

  it('auto: an unanswered MQTT 5 CONNECT tries 3.1.1 once, kept only if it connects', () => {
    const c = new ProtocolVersionChoice('auto');
    expect(c.failed(5, noAnswer)).toEqual({ version: 4, immediately: true, settledOn311: false });
    expect(c.version).toBe(4);
    // 3.1.1 failed as well: the broker was just down; 5 again, after the backoff.
    expect(c.failed(4, other)).toEqual({ version: 5, immediately: false, settledOn311: false });
    expect(c.version).toBe(5);
    // Again unanswered, and this time 3.1.1 connects: that was it, said once, and kept.
    expect(c.failed(5, noAnswer).version).toBe(4);
    expect(c.connected(4)).toBe(true);
    expect(c.version).toBe(4);
    expect(c.failed(4, noAnswer).version).toBe(4);
    expect(c.connected(4)).toBe(false);
  });

  it('auto: once MQTT 5 has connected, an unanswered close is a hiccup, but a refusal still switches', () => {
    const c = new ProtocolVersionChoice('auto');
    c.connected(5);
    expect(c.failed(5, noAnswer)).toEqual({ version: 5, immediately: false, settledOn311: false });
    // The broker was replaced by a 3.1.1-only one.
    expect(c.failed(5, refused(1))).toEqual({ version: 4, immediately: true, settledOn311: true });
  });
});
