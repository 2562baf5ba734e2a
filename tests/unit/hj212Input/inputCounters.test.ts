import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InputCounters, MAX_DISTINCT, OTHER } from '../../../agent/acquisition/hj212Input/inputCounters.js';

/**
 * The counters' keys come from the wire. A device spraying frames with ever new MNs, CNs or codes at
 * the input's port for months must not grow the agent's memory or its log without bound.
 */
function counters() {
  const lines: { msg: string }[] = [];
  const c = new InputCounters(pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) }));
  return { c, lines };
}

describe('InputCounters against endless distinct garbage', () => {
  it('logs each trouble once, at most MAX_DISTINCT of them, then says once that it only counts', () => {
    const { c, lines } = counters();
    for (let i = 0; i < 3000; i++) c.refuse('unknown-mn', { mn: `MN${i}`, detail: 'no logger' });
    for (let i = 0; i < 3000; i++) c.refuse('unknown-mn', { mn: `MN${i}`, detail: 'no logger' });
    expect(lines.filter((l) => l.msg === 'hj212 input: frame refused')).toHaveLength(MAX_DISTINCT);
    expect(lines.filter((l) => l.msg.includes('too many distinct troubles'))).toHaveLength(1);
    expect(lines).toHaveLength(MAX_DISTINCT + 1);
    expect(c.snapshot().refused).toEqual({ 'unknown-mn': 6000 });
  });

  it('counts texts past MAX_DISTINCT under OTHER, losing no count', () => {
    const { c } = counters();
    for (let i = 0; i < 1000; i++) c.otherCn(String(1000 + i), 'X');
    c.otherCn('1000', 'X');
    for (let i = 0; i < 1000; i++) c.unknownCode(`w${i}`, 'AAAA0001');
    const snap = c.snapshot();
    expect(Object.keys(snap.otherCns)).toHaveLength(MAX_DISTINCT + 1);
    expect(snap.otherCns['1000']).toBe(2);
    expect(snap.otherCns[OTHER]).toBe(1000 - MAX_DISTINCT);
    expect(Object.values(snap.otherCns).reduce((a, b) => a + b, 0)).toBe(1001);
    expect(Object.keys(snap.unknownCodes)).toHaveLength(MAX_DISTINCT + 1);
    const own = snap.byMn.AAAA0001!.unknownCodes;
    expect(Object.keys(own)).toHaveLength(MAX_DISTINCT + 1);
    expect(own[OTHER]).toBe(1000 - MAX_DISTINCT);
  });
});
