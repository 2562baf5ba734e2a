import { describe, expect, it } from 'vitest';
import { groupByConstructor } from '../../../scripts/bench/heapDiff.js';

describe('groupByConstructor (comparing the soak’s heap snapshots)', () => {
  it('counts and sums self sizes per constructor for objects, per type for the rest', () => {
    // The layout V8 writes: node_fields per node, names as indexes into strings.
    const snap = {
      snapshot: {
        meta: {
          node_fields: ['type', 'name', 'id', 'self_size', 'edge_count'],
          node_types: [
            ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native'],
          ] as [string[]],
        },
      },
      strings: ['Map', 'hello', 'world', 'Batch', 'onCommit'],
      nodes: [
        [3, 0, 1, 32, 0], // object Map
        [3, 0, 3, 48, 0], // object Map
        [3, 3, 5, 24, 0], // object Batch
        [2, 1, 7, 16, 0], // string "hello"
        [2, 2, 9, 20, 0], // string "world": strings group by type, not by value
        [5, 4, 11, 56, 0], // closure onCommit
      ].flat(),
    };
    const g = groupByConstructor(snap);
    expect(g.get('object:Map')).toEqual({ count: 2, size: 80 });
    expect(g.get('object:Batch')).toEqual({ count: 1, size: 24 });
    expect(g.get('string')).toEqual({ count: 2, size: 36 });
    expect(g.get('closure:onCommit')).toEqual({ count: 1, size: 56 });
    expect(g.size).toBe(4);
  });
});
