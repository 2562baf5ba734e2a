import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { StoredReading } from '../../../../agent/core/reading.js';
import { BacklogRanges, backlogSource, type SeqRange } from '../../../../agent/uplink/hj212/backlog.js';
import { groupAligned, RealtimeGate } from '../../../../agent/uplink/hj212/realtimeGate.js';
import type { OutboxSource } from '../../../../agent/uplink/outboxSource.js';
import { FakeClock } from '../../../helpers/fakeClock.js';

interface Row {
  seq: number;
  ts: number;
}

/** Rows 1..n with gaps allowed, as an OutboxSource. */
function memory(rows: Row[]): OutboxSource<Row> & { rows: Row[] } {
  return {
    rows,
    readAfter: (seq, limit) => rows.filter((r) => r.seq > seq).slice(0, limit),
    lastSeq: () => rows.at(-1)?.seq ?? 0,
    countAfter: (seq) => rows.filter((r) => r.seq > seq).length,
    oldestTsAfter: (seq) => rows.find((r) => r.seq > seq)?.ts ?? null,
    onCommitted: () => () => {},
    seqOf: (r) => r.seq,
  };
}

const range = (n: number, ts = (s: number) => s * 1000) =>
  Array.from({ length: n }, (_, i) => ({ seq: i + 1, ts: ts(i + 1) }));

describe('backlog ranges', () => {
  it('merge overlapping and touching ranges, persist before taking effect, prune what was re-sent', () => {
    const saved: (readonly SeqRange[])[] = [];
    const ranges = new BacklogRanges([], (r) => saved.push(r));
    ranges.add(10, 20);
    ranges.add(30, 40);
    ranges.add(15, 25); // a restart between persisting and moving the live cursor re-adds an overlap
    ranges.add(25, 28);
    expect(ranges.list).toEqual([
      { from: 10, to: 28 },
      { from: 30, to: 40 },
    ]);
    expect(ranges.end()).toBe(40);
    ranges.prune(28);
    expect(ranges.list).toEqual([{ from: 30, to: 40 }]);
    expect(saved.at(-1)).toEqual([{ from: 30, to: 40 }]);
  });

  it('a range that cannot be persisted is not added', () => {
    const ranges = new BacklogRanges([], () => {
      throw new Error('disk full');
    });
    expect(() => ranges.add(1, 5)).toThrow('disk full');
    expect(ranges.list).toEqual([]);
  });

  it('the backlog source reads only the rows inside its ranges, across them', () => {
    const inner = memory(range(50));
    const ranges = new BacklogRanges(
      [
        { from: 5, to: 8 },
        { from: 20, to: 22 },
      ],
      () => {},
    );
    const src = backlogSource(inner, ranges);
    expect(src.readAfter(0, 100).map((r) => r.seq)).toEqual([6, 7, 8, 21, 22]);
    expect(src.readAfter(7, 2).map((r) => r.seq)).toEqual([8, 21]);
    expect(src.countAfter(0)).toBe(5);
    expect(src.countAfter(8)).toBe(2);
    expect(src.lastSeq()).toBe(22);
    expect(src.oldestTsAfter?.(8)).toBe(21_000);
    expect(src.readAfter(22, 10)).toEqual([]);
  });
});

describe('group-aligned reads', () => {
  it('a full read ends before the last group, which may continue in the store', () => {
    const src = groupAligned(memory(range(10)), (r) => Math.ceil(r.seq / 4));
    // groups: 1-4, 5-8, 9-12
    expect(src.readAfter(0, 6).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(src.readAfter(4, 6).map((r) => r.seq)).toEqual([5, 6, 7, 8]);
    // Not a full read: the last group is all there is, sent as it is.
    expect(src.readAfter(4, 10).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    // A single group larger than the read cannot be cut better: returned whole.
    expect(src.readAfter(0, 3).map((r) => r.seq)).toEqual([1, 2, 3]);
  });
});

describe('real-time gate', () => {
  const T0 = Date.UTC(2024, 5, 1, 0, 0, 0);

  function setup() {
    const clock = new FakeClock({ wall: T0 });
    const stored: StoredReading[] = [];
    let listener: ((rows: readonly StoredReading[]) => void) | null = null;
    const store = {
      readAfter: (seq: number, limit: number) => stored.filter((r) => r.seq > seq).slice(0, limit),
      lastSeq: () => stored.at(-1)?.seq ?? 0,
      countAfter: (seq: number) => stored.filter((r) => r.seq > seq).length,
      oldestTsAfter: () => null,
      onCommitted: (fn: (rows: readonly StoredReading[]) => void) => {
        listener = fn;
        return () => {
          listener = null;
        };
      },
    };
    const commit = (ts: number) => {
      const r = {
        seq: stored.length + 1,
        ts,
        device: 'd',
        channel: 'c',
        code: 'w01018',
        unit: null,
        value: 1,
        flag: 'N',
      };
      stored.push(r as StoredReading);
      listener?.([r as StoredReading]);
    };
    const gate = new RealtimeGate({
      store,
      clock,
      log: pino({ level: 'silent' }),
      intervalEnd: (ts) => Math.floor(ts / 10_000) * 10_000 + 10_000,
      intervalMs: () => 10_000,
      settleMs: 2000,
    });
    const released: number[][] = [];
    gate.onCommitted((rows) => released.push(rows.map((r) => r.seq)));
    return { clock, gate, commit, released, stored };
  }

  it('readings already stored are released at start; later ones once their interval ended + settle', async () => {
    const { clock, gate, commit, released, stored } = setup();
    stored.push({ seq: 1, ts: T0 - 5000 } as StoredReading);
    gate.start();
    expect(gate.lastSeq()).toBe(1);
    commit(T0 + 1000);
    await clock.advance(1000);
    commit(T0 + 2000);
    expect(gate.readAfter(1, 10)).toEqual([]);
    await clock.advance(10_500); // T0 + 11.5 s: interval [T0, T0+10s) + 2 s settle not over yet
    expect(released).toEqual([]);
    commit(T0 + 11_500); // next interval
    await clock.advance(500); // T0 + 12 s
    expect(released).toEqual([[2, 3]]);
    expect(gate.readAfter(1, 10).map((r) => r.seq)).toEqual([2, 3]);
    expect(gate.lastSeq()).toBe(3);
    await clock.advance(10_000);
    expect(released).toEqual([[2, 3], [4]]);
    gate.stop();
  });

  it('a stepped wall clock holds a commit at most one interval + settle', async () => {
    const { clock, gate, commit, released } = setup();
    gate.start();
    commit(T0 + 1000);
    clock.setWall(T0 - 3_600_000); // stepped back an hour
    commit(T0 + 1000);
    await clock.advance(12_000);
    expect(released.flat()).toEqual([1, 2]);
    gate.stop();
  });
});
