import { describe, expect, it } from 'vitest';
import { formatCensus } from '../../../drivers/modbus/listen/censusReport.js';
import { LineCensus } from '../../../drivers/modbus/listen/lineCensus.js';
import { PassiveRtuFramer } from '../../../drivers/modbus/listen/passiveFramer.js';
import { RequestPairer } from '../../../drivers/modbus/listen/requestPairer.js';
import {
  exceptionAnswer,
  readRequest,
  registerAnswer,
  writeSingleRegister,
} from '../../helpers/rtuTraffic.js';

describe('LineCensus', () => {
  it('counts units, function codes, ranges and rates over its window, and prints them', () => {
    const framer = new PassiveRtuFramer({ baudRate: 9600 });
    const pairer = new RequestPairer({ answerTimeoutMs: 300 });
    const census = new LineCensus({ windowMs: 60_000 });
    const push = (bytes: Buffer, at: number) => {
      for (const f of framer.push(bytes, at)) for (const e of pairer.frame(f)) census.event(e);
    };
    for (let t = 0; t < 60_000; t += 2000) {
      push(readRequest(1, 3, 0, 10), t);
      push(registerAnswer(1, 3, Array(10).fill(7)), t + 50);
      push(readRequest(2, 4, 100, 2), t + 200);
      push(exceptionAnswer(2, 4, 2), t + 250);
      push(readRequest(3, 3, 0, 1), t + 400);
    }
    push(writeSingleRegister(1, 9, 1), 59_000);
    push(writeSingleRegister(1, 9, 1), 59_020);
    push(Buffer.from([0xff, 0xfe]), 59_500);
    for (const e of pairer.tick(60_000)) census.event(e);
    const s = census.summary(60_000);
    expect(s.units).toEqual([1, 2, 3]);
    const byFn = Object.fromEntries(s.functions.map((f) => [`${f.unit}/${f.fn}`, f]));
    expect(byFn['1/3']).toMatchObject({
      table: 'holding',
      requests: 30,
      answers: 30,
      ranges: [{ address: 0, quantity: 10, requests: 30 }],
    });
    expect(byFn['1/3']!.requestsPerMin).toBeCloseTo(30);
    expect(byFn['2/4']).toMatchObject({ requests: 30, answers: 0, exceptions: { 2: 30 } });
    expect(byFn['3/3']).toMatchObject({ requests: 30, answers: 0, noAnswer: 30 });
    expect(byFn['1/6']).toMatchObject({ requests: 1, answers: 1 });

    const text = formatCensus(s, framer.stats);
    expect(text).toContain('3 unit(s) polled (1, 2, 3)');
    expect(text).toMatch(/^1 +3 +read holding +0-9 +30\.0 +30\.0 +0 +-$/m);
    expect(text).toMatch(/^2 +4 +read input +100-101 +30\.0 +0\.0 +0 +2×30$/m);
    expect(text).toContain('2 garbage bytes');
  });

  it('forgets what is older than its window', () => {
    const census = new LineCensus({ windowMs: 10_000 });
    census.event({ kind: 'request', unit: 1, fn: 3, address: 0, quantity: 1, at: 0 });
    census.event({ kind: 'request', unit: 2, fn: 3, address: 0, quantity: 1, at: 15_000 });
    expect(census.summary(20_000).units).toEqual([2]);
  });
});
