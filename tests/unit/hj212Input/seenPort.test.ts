import { describe, expect, it } from 'vitest';
import { MemorySeen, seenKey } from '../../../agent/acquisition/hj212Input/seenPort.js';

describe('MemorySeen', () => {
  it('remembers keys up to its capacity, forgetting the oldest first', () => {
    const seen = new MemorySeen(2);
    seen.add('a');
    seen.add('b');
    seen.add('a');
    seen.add('c');
    expect([seen.has('a'), seen.has('b'), seen.has('c'), seen.size]).toEqual([false, true, true, 2]);
  });

  it('keys the MN without regard to blanks and hex case', () => {
    expect(seenKey(' 0100a8 ', '2011', '20261207120000', 'w01018')).toBe(
      seenKey('0100A8', '2011', '20261207120000', 'w01018'),
    );
  });
});
