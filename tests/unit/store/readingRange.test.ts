import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading, QcCode } from '../../../agent/core/reading.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { QC_CHANGES_JOIN } from '../../../agent/store/qcChanges.js';
import { ReadingRangeReader } from '../../../agent/store/readingRange.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';

/** The one-statement query readAfter used before ReadingRangeReader: the reference it must match. */
const REFERENCE = `SELECT r.seq, r.ts, c.device, c.channel, c.code, c.unit, r.value, r.flag, m.qc, m.state
  FROM readings r JOIN channels c ON c.id = r.channel_id ${QC_CHANGES_JOIN}
  WHERE r.seq > ? ORDER BY r.seq LIMIT ?`;

const code = fc.constantFrom<QcCode>(1, 3);
const reading = fc.record({
  channel: fc.constantFrom('a', 'b', 'c'),
  value: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  qc: fc.option(fc.record({ gross: code, range: code, spike: code, roc: code, flat: code }), {
    nil: undefined,
  }),
  state: fc.option(fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }), { nil: undefined }),
});

describe('ReadingRangeReader', () => {
  it('gives the same rows as the joined query, qc/state change points included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(reading, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 10 }),
        (polls, reads) => {
          const db = openDatabase({ path: ':memory:', log: silentLogger() });
          const store = new ReadingStore({ db });
          polls.forEach((poll, i) => {
            store.append(
              poll.map((r): NewReading => {
                const out: NewReading = {
                  ts: 1000 * i,
                  device: 'd',
                  channel: r.channel,
                  code: r.channel === 'c' ? null : 'w01018',
                  unit: null,
                  value: r.value,
                  flag: r.value === null ? 'B' : 'N',
                };
                if (r.qc !== undefined) out.qc = r.qc;
                if (r.state !== undefined) out.state = r.state;
                return out;
              }),
            );
          });
          const reader = new ReadingRangeReader(db);
          const reference = db.prepare(REFERENCE);
          for (const [after, limit] of reads) {
            expect(reader.rows(after, limit)).toEqual(reference.all(after, limit));
          }
          db.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});
