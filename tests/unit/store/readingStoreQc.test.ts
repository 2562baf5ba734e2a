import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading, QcResults } from '../../../agent/core/reading.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';

const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);
const PASS: QcResults = { gross: 1, range: 1, spike: 1, roc: 1, flat: 2 };

function reading(i: number, over: Partial<NewReading> = {}): NewReading {
  return {
    ts: T0 + i * 1000,
    device: 'nutrient',
    channel: 'cod',
    code: 'w01018',
    value: 25 + i,
    unit: 'mg/L',
    flag: 'N',
    ...over,
  };
}

describe('ReadingStore: check results and instrument state', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-qc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const open = () => openDatabase({ path: join(dir, 'station.db'), log: silentLogger() });

  it('round-trips qc and state per reading, across channels, changes and a reopen', () => {
    let db = open();
    let store = new ReadingStore({ db });
    const spike: QcResults = { ...PASS, spike: 4 };
    const input = [
      reading(0), // before QC: no qc, no state
      reading(1, { qc: PASS, state: 0 }),
      reading(1, { channel: 'nh3n', qc: spike, state: 0 }),
      reading(2, { qc: PASS, state: 0 }),
      reading(3, { qc: spike, state: 0 }),
      reading(4, { qc: PASS, state: 1, flag: 'C' }),
      reading(5, {
        value: null,
        flag: 'B',
        qc: { gross: 9, range: 9, spike: 9, roc: 9, flat: 9 },
        state: null,
      }),
      reading(6, { qc: { ...PASS, repeat: true }, state: 1.5 }),
      reading(7), // a producer without QC again
    ];
    const stored = store.append(input);
    const back = store.readAfter(0, 100);
    const strip = (r: NewReading) => {
      const { state, ...rest } = r;
      return state === null || state === undefined ? rest : r;
    };
    expect(back).toEqual(stored.map(strip));
    // only the changes are rows: 0 (none) -> 1 pass/0 -> nh3n -> 3 spike -> 4 pass/1 -> 5 missing -> 6 repeat -> 7 none
    expect(db.prepare('SELECT count(*) FROM qc_changes').pluck().get()).toBe(7);
    db.close();

    db = open();
    store = new ReadingStore({ db });
    // after a reopen the last pair is read from disk: an unchanged pair adds no row
    const more = store.append([reading(8), reading(9, { qc: PASS, state: 0 })]);
    expect(db.prepare('SELECT count(*) FROM qc_changes').pluck().get()).toBe(8);
    expect(store.readAfter(more[0]!.seq - 1, 10)).toEqual(more);
    expect([...store.iterateFrom(1)].map((r) => r.seq)).toEqual(
      back.map((r) => r.seq).concat(more.map((r) => r.seq)),
    );
    db.close();
  });

  it('a failed commit leaves no stale change point behind', () => {
    const db = open();
    const store = new ReadingStore({ db });
    store.append([reading(0, { qc: PASS, state: 0 })]);
    const bad = [reading(1, { qc: { ...PASS, flat: 3 }, state: 0 }), reading(2, { ts: Number.NaN })];
    expect(() => store.append(bad)).toThrow();
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
    const big = Array.from({ length: 3000 }, (_, i) =>
      reading(i, { channel: `c${i % 40}`, qc: { ...PASS, flat: 3 } }),
    );
    expect(() => store.append(big)).toThrow();
    db.pragma('max_page_count = 1073741823');
    // the flat=3 pair was rolled back: it must be written again now
    const [r] = store.append([reading(5, { qc: { ...PASS, flat: 3 }, state: 0 })]);
    expect(store.readAfter(r!.seq - 1, 1)[0]!.qc).toEqual({ ...PASS, flat: 3 });
    db.close();
  });

  it('finds restart points: first seq since a time, last counter value before a seq', () => {
    const db = open();
    const store = new ReadingStore({ db });
    store.append([
      reading(0),
      reading(1, { value: null, flag: 'B' }),
      reading(2, { channel: 'nh3n' }),
      reading(3),
    ]);
    expect(store.firstSeqSince(T0 + 1500)).toBe(3);
    expect(store.firstSeqSince(T0 + 10_000)).toBeNull();
    expect(store.lastValueBefore('nutrient', 'cod', 4)).toBe(25); // seq 2 was null, seq 3 is nh3n
    expect(store.lastValueBefore('nutrient', 'cod', 1)).toBeNull();
    db.close();
  });

  it('stays within 48 bytes per reading with steady check results and state', () => {
    const db = open();
    db.exec("INSERT INTO sqlite_sequence (name, seq) VALUES ('readings', 5000000)");
    const store = new ReadingStore({ db });
    // The empty schema (a page per table and index) is a fixed cost, not a per-reading one.
    const emptyPages = db.pragma('page_count', { simple: true }) as number;
    const n = 24_000;
    const channels = Array.from({ length: 12 }, (_, c) => ({ device: `d${c % 3}`, channel: `c${c}` }));
    for (let i = 0; i < n; i += channels.length) {
      // a spike now and then: a change point there and one back
      const qc = i % 1200 === 0 ? { ...PASS, spike: 3 as const } : PASS;
      store.append(
        channels.map((ch) =>
          reading(i, { ...ch, value: Math.round(Math.random() * 1e5) / 100, qc, state: 0 }),
        ),
      );
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = ((db.pragma('page_count', { simple: true }) as number) - emptyPages) * 4096;
    expect(bytes / n).toBeLessThanOrEqual(48);
    db.close();
  });
});
