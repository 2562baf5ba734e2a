import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';

describe('Outbox', () => {
  let dir: string;
  let path: string;
  const open = () => openDatabase({ path, log: silentLogger() });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    path = join(dir, 'station.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts an unknown uplink at 0 and creates its row', () => {
    const db = open();
    const outbox = new Outbox({ db, clock: { now: () => 1234 } });
    expect(outbox.cursor('cloud')).toBe(0);
    expect(db.prepare('SELECT uplink, acked_seq, updated_at FROM uplink_cursors').all()).toEqual([
      { uplink: 'cloud', acked_seq: 0, updated_at: 1234 },
    ]);
    db.close();
  });

  it('only moves forward, per uplink, and survives a reopen', () => {
    let db = open();
    let outbox = new Outbox({ db });
    expect(outbox.confirm('a', 10)).toBe(10);
    expect(outbox.confirm('a', 7)).toBe(10);
    expect(outbox.confirm('a', 10)).toBe(10);
    expect(outbox.confirm('b', 3)).toBe(3);
    db.close();
    db = open();
    outbox = new Outbox({ db });
    expect(outbox.cursor('a')).toBe(10);
    expect(outbox.cursor('b')).toBe(3);
    db.close();
  });

  it('is the running maximum of any sequence of confirms', () => {
    const db = open();
    const outbox = new Outbox({ db });
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1_000_000 }), { maxLength: 30 }), (seqs) => {
        db.exec('DELETE FROM uplink_cursors');
        let max = 0;
        for (const s of seqs) {
          max = Math.max(max, s);
          expect(outbox.confirm('p', s)).toBe(max);
        }
        expect(outbox.cursor('p')).toBe(max);
      }),
      { numRuns: 50 },
    );
    db.close();
  });

  it('rejects a seq that is not a non-negative integer', () => {
    const db = open();
    const outbox = new Outbox({ db });
    expect(() => outbox.confirm('a', -1)).toThrow(RangeError);
    expect(() => outbox.confirm('a', 1.5)).toThrow(RangeError);
    db.close();
  });
});
