import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { FirstSeqLookup } from '../../../agent/store/firstSeqSince.js';
import { openDatabase, PAGE_CACHE_KIB } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';

/** The plain query firstSeqSince answered before: the reference the lookup must match exactly. */
const REFERENCE = 'SELECT min(seq) FROM readings WHERE ts >= ?';

function storeWith(stamps: readonly number[]) {
  const db = openDatabase({ path: ':memory:', log: silentLogger() });
  const store = new ReadingStore({ db });
  for (const ts of stamps)
    store.append([{ ts, device: 'd', channel: 'c', code: null, unit: null, value: 1, flag: 'N' }]);
  return { db, store };
}

describe('FirstSeqLookup', () => {
  it('gives the exact min(seq) of the plain query, stamps stepping back included, by either plan', () => {
    fc.assert(
      fc.property(
        // Mostly rising stamps with steps back (a clock set back), as a store sees them.
        fc.array(fc.integer({ min: -30, max: 100 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: -500, max: 4000 }), { minLength: 1, maxLength: 12 }),
        (steps, probes) => {
          let ts = 1000;
          const stamps = steps.map((d) => {
            ts += d;
            return ts;
          });
          const { db, store } = storeWith(stamps);
          const reference = db.prepare(REFERENCE).pluck();
          for (const probe of [...probes, ...stamps]) {
            expect(store.firstSeqSince(probe)).toBe((reference.get(probe) as number | null) ?? null);
          }
          db.close();
        },
      ),
    );
  });

  it('is null on an empty store and past the newest reading', () => {
    const { db, store } = storeWith([]);
    expect(new FirstSeqLookup(db).get(0)).toBeNull();
    store.append([{ ts: 5000, device: 'd', channel: 'c', code: null, unit: null, value: 1, flag: 'N' }]);
    expect(store.firstSeqSince(5001)).toBeNull();
    expect(store.firstSeqSince(5000)).toBe(1);
    db.close();
  });

  it('reads a recent time through the ts index and an old one in seq order', () => {
    const { db } = storeWith(Array.from({ length: 100 }, (_, i) => 1000 * i));
    const plans = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(0) as { detail: string }[]).map((r) => r.detail).join();
    expect(plans('SELECT min(seq) FROM readings INDEXED BY readings_ts WHERE ts >= ?')).toContain(
      'INDEX readings_ts',
    );
    expect(plans('SELECT min(seq) FROM readings NOT INDEXED WHERE ts >= ?')).not.toContain('INDEX');
    // Both ends of the table and the middle agree with the plain query (the plan differs, not the answer).
    const lookup = new FirstSeqLookup(db);
    for (const probe of [0, 49_500, 98_001, 99_000]) {
      expect(lookup.get(probe)).toBe(db.prepare(REFERENCE).pluck().get(probe));
    }
    db.close();
  });
});

describe('openDatabase page cache', () => {
  it('bounds SQLite page cache to PAGE_CACHE_KIB (better-sqlite3 builds SQLite with 16 MB)', () => {
    const db = openDatabase({ path: ':memory:', log: silentLogger() });
    expect(db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    db.close();
  });
});
