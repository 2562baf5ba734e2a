import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REGISTER_TABLES } from '../../../agent/config/schema.js';
import { planRequests, type RegisterItem } from '../../../drivers/modbus/requestPlanner.js';

const hr = (key: string, address: number, count = 2): RegisterItem => ({
  key,
  table: 'holding',
  address,
  count,
});

describe('planRequests', () => {
  it('merges a contiguous map into one request', () => {
    const plan = planRequests([hr('a', 0), hr('b', 2), hr('c', 4)]);
    expect(plan).toEqual([
      {
        table: 'holding',
        address: 0,
        count: 6,
        items: [
          { key: 'a', offset: 0 },
          { key: 'b', offset: 2 },
          { key: 'c', offset: 4 },
        ],
      },
    ]);
  });

  it('merges across a gap of exactly mergeGap (8) and splits at 9', () => {
    expect(planRequests([hr('a', 0), hr('b', 10)])).toHaveLength(1); // registers 2..9 unread: gap 8
    expect(planRequests([hr('a', 0), hr('b', 11)])).toHaveLength(2); // gap 9
    expect(planRequests([hr('a', 0), hr('b', 11)], { mergeGap: 9 })).toHaveLength(1);
    expect(planRequests([hr('a', 0), hr('b', 2)], { mergeGap: 0 })).toHaveLength(1);
    expect(planRequests([hr('a', 0), hr('b', 3)], { mergeGap: 0 })).toHaveLength(2);
  });

  it('never exceeds 125 registers', () => {
    const far = { mergeGap: 125 };
    expect(planRequests([hr('a', 0), hr('b', 123)], far)).toEqual([
      { table: 'holding', address: 0, count: 125, items: expect.any(Array) },
    ]);
    const split = planRequests([hr('a', 0), hr('b', 124)], far);
    expect(split.map((r) => [r.address, r.count])).toEqual([
      [0, 2],
      [124, 2],
    ]);
    expect(planRequests([hr('a', 0)], { maxRegistersPerRequest: 500 })[0]!.count).toBe(2); // capped at 125 anyway
    const wide = Array.from({ length: 100 }, (_, i) => hr(`c${i}`, i * 2));
    expect(planRequests(wide).map((r) => r.count)).toEqual([124, 76]);
  });

  it('maxRegistersPerRequest: 1 gives one request per register', () => {
    const plan = planRequests([hr('a', 0, 1), hr('b', 1, 1), hr('c', 2, 1)], { maxRegistersPerRequest: 1 });
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
  });

  it('an item larger than the maximum gets its own request, never split', () => {
    const plan = planRequests([hr('f', 0, 2), hr('u', 2, 1)], { maxRegistersPerRequest: 1 });
    expect(plan.map((r) => [r.address, r.count, r.items.map((i) => i.key)])).toEqual([
      [0, 2, ['f']],
      [2, 1, ['u']],
    ]);
  });

  it('plans each table separately, in table order', () => {
    const plan = planRequests([
      { key: 'in', table: 'input', address: 0, count: 2 },
      hr('h', 0),
      { key: 'c1', table: 'coil', address: 5, count: 1 },
      { key: 'c2', table: 'coil', address: 14, count: 1 },
      { key: 'd', table: 'discrete', address: 0, count: 1 },
    ]);
    expect(plan.map((r) => [r.table, r.address, r.count])).toEqual([
      ['coil', 5, 10],
      ['discrete', 0, 1],
      ['holding', 0, 2],
      ['input', 0, 2],
    ]);
  });

  it('uses a bit limit of 2000 for coils and the gap in bits', () => {
    const plan = planRequests([
      { key: 'a', table: 'coil', address: 0, count: 1 },
      { key: 'b', table: 'coil', address: 1999, count: 1 },
      { key: 'c', table: 'coil', address: 2000, count: 1 },
    ]);
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 1],
      [1999, 2],
    ]);
    const bits = planRequests(
      [
        { key: 'a', table: 'discrete', address: 0, count: 1 },
        { key: 'b', table: 'discrete', address: 1000, count: 1 },
      ],
      { mergeGap: 999, maxRegistersPerRequest: 1 },
    );
    expect(bits).toHaveLength(1); // maxRegistersPerRequest is for word tables only
  });

  it('lets overlapping items share a request', () => {
    const plan = planRequests([hr('wide', 10, 4), hr('inner', 11, 1), hr('tail', 13, 2)]);
    expect(plan).toEqual([
      {
        table: 'holding',
        address: 10,
        count: 5,
        items: [
          { key: 'wide', offset: 0 },
          { key: 'inner', offset: 1 },
          { key: 'tail', offset: 3 },
        ],
      },
    ]);
  });

  it('is deterministic whatever the input order', () => {
    const items = [hr('x', 40), hr('a', 0), hr('m', 20, 1), hr('b', 0, 1), hr('z', 200)];
    const reversed = planRequests([...items].reverse());
    expect(planRequests(items)).toEqual(reversed);
    expect(reversed.map((r) => r.items.map((i) => i.key))).toEqual([['a', 'b'], ['m'], ['x'], ['z']]);
  });

  it('reads a 40-channel analyzer map in a few requests', () => {
    // 40 float32 channels: 30 packed from 0, then 10 spaced every 10 registers from 100.
    const items = [
      ...Array.from({ length: 30 }, (_, i) => hr(`p${i}`, i * 2)),
      ...Array.from({ length: 10 }, (_, i) => hr(`s${i}`, 100 + i * 10)),
      { key: '$status', table: 'holding' as const, address: 300, count: 1 },
    ];
    const plan = planRequests(items);
    // 0..59 and 100..119 (gap 40 > 8): split; spaced ones have gaps of 8: merged up to 125 long.
    expect(plan.map((r) => [r.address, r.count])).toEqual([
      [0, 60],
      [100, 92],
      [300, 1],
    ]);
    expect(plan.flatMap((r) => r.items)).toHaveLength(41);
    expect(planRequests(items, { mergeGap: 0 })).toHaveLength(12);
  });

  it('rejects malformed items', () => {
    expect(() => planRequests([hr('a', -1)])).toThrow(RangeError);
    expect(() => planRequests([hr('a', 0, 0)])).toThrow(RangeError);
  });

  it('property: each item is listed once, covered by its request; no request exceeds the max', () => {
    const item = fc.record({
      table: fc.constantFrom(...REGISTER_TABLES),
      address: fc.integer({ min: 0, max: 3000 }),
      count: fc.constantFrom(1, 2, 4),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 60 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 4, max: 125 }),
        (raw, mergeGap, maxRegistersPerRequest) => {
          const items: RegisterItem[] = raw.map((r, i) => ({
            key: `k${i}`,
            table: r.table,
            address: r.address,
            count: r.table === 'coil' || r.table === 'discrete' ? 1 : r.count,
          }));
          const plan = planRequests(items, { mergeGap, maxRegistersPerRequest });
          const seen = new Map<string, number>();
          for (const req of plan) {
            const max = req.table === 'coil' || req.table === 'discrete' ? 2000 : maxRegistersPerRequest;
            expect(req.count).toBeLessThanOrEqual(max);
            for (const { key, offset } of req.items) {
              seen.set(key, (seen.get(key) ?? 0) + 1);
              const it = items.find((i) => i.key === key)!;
              expect(it.table).toBe(req.table);
              expect(req.address + offset).toBe(it.address);
              expect(offset + it.count).toBeLessThanOrEqual(req.count);
            }
          }
          expect(seen.size).toBe(items.length);
          for (const n of seen.values()) expect(n).toBe(1);
        },
      ),
    );
  });
});
