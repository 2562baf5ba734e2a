import { describe, expect, it } from 'vitest';
import { ListenPollSource, type PollSourceEvent } from '../../../drivers/modbus/listen/listenPollSource.js';
import type { PairerEvent } from '../../../drivers/modbus/listen/requestPairer.js';

const request = (unit: number, fn: number, address: number, quantity: number, at: number): PairerEvent => ({
  kind: 'request',
  unit,
  fn,
  address,
  quantity,
  at,
});
const holding = (unit: number, startAddress: number, words: number[], at: number): PairerEvent => ({
  kind: 'read',
  read: { unit, table: 'holding', startAddress, words, requestAt: at - 10, answerAt: at },
});

function source() {
  return new ListenPollSource({
    devices: [
      {
        id: 'sonde',
        unit: 1,
        needs: [
          { table: 'holding', address: 2, count: 2 },
          { table: 'coil', address: 5, count: 1 },
        ],
      },
      { id: 'flow', unit: 2, needs: [{ table: 'holding', address: 0, count: 1 }] },
    ],
    silentAfterIntervals: 3,
  });
}

describe('ListenPollSource', () => {
  it('cuts a device block out of a wider answer, and gives a sample once every block is fresh', () => {
    const s = source();
    const a = s.event(holding(1, 0, [10, 11, 12, 13, 14], 1000));
    expect(a).toEqual([
      {
        kind: 'block',
        device: 'sonde',
        block: { table: 'holding', address: 2, count: 2, words: [12, 13], answerAt: 1000 },
      },
    ]);
    const b = s.event({
      kind: 'read',
      read: {
        unit: 1,
        table: 'coil',
        startAddress: 0,
        bits: [false, false, false, false, false, true],
        requestAt: 1090,
        answerAt: 1100,
      },
    });
    const sample = b.find((e) => e.kind === 'sample');
    expect(sample).toMatchObject({ device: 'sonde', at: 1100 });
    expect(sample && sample.kind === 'sample' && sample.blocks.map((x) => x.words ?? x.bits)).toEqual([
      [12, 13],
      [true],
    ]);
  });

  it('ignores answers that cover a block only in part, or another unit', () => {
    const s = source();
    expect(s.event(holding(1, 3, [1, 2], 1000))).toEqual([]);
    expect(s.event(holding(3, 0, [1, 2, 3, 4], 1000))).toEqual([]);
  });

  it('learns the interval from the requests and reports the device silent after 3 of them, then resumed', () => {
    const s = source();
    const events: PollSourceEvent[] = [];
    for (let t = 0; t <= 4000; t += 1000) {
      events.push(...s.event(request(2, 3, 0, 1, t)));
      events.push(...s.event(holding(2, 0, [t], t + 20)));
      events.push(...s.tick(t + 500));
    }
    expect(s.intervalOf('flow')).toBe(1000);
    expect(events.some((e) => e.kind === 'silent')).toBe(false);
    expect(s.tick(6000)).toEqual([]);
    const silent = s.tick(7100);
    expect(silent).toEqual([
      { kind: 'silent', device: 'flow', lastAnswerAt: 4020, intervalMs: 1000, at: 7100 },
    ]);
    expect(s.tick(9000)).toEqual([]);
    s.event(request(2, 3, 0, 1, 10_000));
    const back = s.event(holding(2, 0, [77], 10_020));
    expect(back.map((e) => e.kind)).toEqual(['resumed', 'block', 'sample']);
  });

  it('does not call a device silent before it knows the interval', () => {
    const s = source();
    s.event(request(2, 3, 0, 1, 0));
    s.event(holding(2, 0, [1], 20));
    expect(s.tick(1_000_000)).toEqual([]);
  });
});
