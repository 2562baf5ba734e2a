/**
 * Issue 14 part 7 at the store: with `synchronous: normal` a power cut takes the unsynced tail of the
 * WAL, and the seqs (event ids, aseqs) it held must never be given again under the same db. Real
 * SQLite files; the cut is made as it happens on disk: the database file and an older copy of its
 * WAL (a prefix of it: the frames appended since were never synced), the unclean-stop marker left.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading } from '../../../agent/core/reading.js';
import { AggregateStore } from '../../../agent/store/aggregateStore.js';
import { EventStore } from '../../../agent/store/eventStore.js';
import { openStationDatabase, type StationDatabase } from '../../../agent/store/openStationDatabase.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { readStoreIdentity } from '../../../agent/store/storeIdentity.js';

const NOW = Date.UTC(2026, 11, 1, 8, 0, 0);
const clock = { now: () => NOW };

let dir: string;
let path: string;
const opened: StationDatabase[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sa-ceiling-'));
  path = join(dir, 'agent.db');
});
afterEach(() => {
  for (const s of opened.splice(0)) if (s.db.open) s.db.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(synchronous: 'full' | 'normal' = 'normal'): StationDatabase {
  const station = openStationDatabase({ path, synchronous, log: silentLogger(), clock });
  opened.push(station);
  return station;
}

let value = 0;
function readings(n: number): NewReading[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: NOW + i,
    device: 'nutrient',
    channel: 'cod',
    code: 'w01018',
    unit: 'mg/L',
    value: ++value,
    flag: 'N' as const,
  }));
}

function ceilingFile(): { db: string; readings: number; aggregates: number; events: number } {
  return JSON.parse(readFileSync(`${path}.seq-ceiling`, 'utf8'));
}

/** A snapshot of what is on disk now: the database file and its WAL. */
function snapshot(tag: string): { db: string; wal: string } {
  const copy = { db: join(dir, `${tag}.db`), wal: join(dir, `${tag}.db-wal`) };
  copyFileSync(path, copy.db);
  copyFileSync(`${path}-wal`, copy.wal);
  return copy;
}

/**
 * The process dies (no close: the marker stays) and the power goes: on disk remain the database file
 * and the WAL as it was at `synced`; the -shm is rebuilt at the next open.
 */
function powerCut(station: StationDatabase, synced: { db: string; wal: string }): void {
  const atCut = snapshot('at-cut');
  // No checkpoint between the two: the older WAL is then a true prefix of the newer one.
  expect(readFileSync(atCut.db).equals(readFileSync(synced.db)), 'the database file was checkpointed').toBe(
    true,
  );
  const older = readFileSync(synced.wal);
  expect(readFileSync(atCut.wal).subarray(0, older.length).equals(older)).toBe(true);
  station.db.close();
  copyFileSync(atCut.db, path);
  copyFileSync(synced.wal, `${path}-wal`);
  rmSync(`${path}-shm`, { force: true });
  expect(existsSync(`${path}.in-use`), 'the unclean-stop marker').toBe(true);
}

describe('seq ceiling under synchronous: normal', () => {
  it('never gives a seq, event id or aseq again after a power cut took the WAL tail', () => {
    const first = open('normal');
    const store = new ReadingStore({ db: first.db });
    const events = new EventStore({ db: first.db });
    store.append(readings(30));
    events.record(NOW, { kind: 'test', n: 1 });
    const synced = snapshot('synced');
    // Committed after the last sync, published upstream, then lost with the cut.
    const lost = store.append(readings(40));
    const lostEvent = events.record(NOW, { kind: 'test', n: 2 });
    const dbId = readStoreIdentity(first.db).dbId;
    powerCut(first, synced);

    const second = open('normal');
    const after = new ReadingStore({ db: second.db });
    // The cut really took published seqs: without the ceiling they would be handed out again.
    expect(after.readAfter(0, 1000).map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(after.lastSeq()).toBe(1000);
    expect(readStoreIdentity(second.db).dbId).toBe(dbId);
    const fresh = after.append(readings(5));
    expect(fresh[0]!.seq).toBeGreaterThan(lost.at(-1)!.seq);
    expect(second.seqsSkipped).toEqual({
      kind: 'store-seqs-skipped',
      reason: 'unclean-stop',
      readings: { from: 31, to: 1000 },
      // None were stored here, but the agent cannot know that none were lost.
      aggregates: { from: 1, to: 1000 },
      events: { from: 2, to: 100 },
    });
    // The event is in the store, with an id above every id the lost tail held.
    const recorded = new EventStore({ db: second.db }).readAfter(0, 10);
    expect(recorded.map((e) => e.event.kind)).toEqual(['test', 'store-seqs-skipped']);
    expect(recorded[1]!.id).toBeGreaterThan(lostEvent);
    // The backlog count does not count the skipped range.
    expect(after.countAfter(0)).toBe(35);
    expect(after.countAfter(20)).toBe(15);
    expect(after.countAfter(1000)).toBe(5);
  });

  it('without its ceiling (an agent before this fix) the same cut hands out the published seqs again', () => {
    const first = open('normal');
    const store = new ReadingStore({ db: first.db });
    store.append(readings(30));
    const synced = snapshot('synced');
    const lost = store.append(readings(40));
    powerCut(first, synced);
    rmSync(`${path}.seq-ceiling`);

    const second = open('normal');
    const fresh = new ReadingStore({ db: second.db }).append(readings(5));
    expect(second.seqsSkipped).toBeNull();
    // The very defect: seq 31 now names another reading than the one published as 31.
    expect(fresh[0]!.seq).toBe(lost[0]!.seq);
    expect(fresh[0]!.value).not.toBe(lost[0]!.value);
  });

  it('records a ceiling above every number given before the row commits', () => {
    const station = open('normal');
    const store = new ReadingStore({ db: station.db });
    const aggregates = new AggregateStore({ db: station.db });
    expect(ceilingFile()).toMatchObject({ readings: 1000, aggregates: 1000, events: 100 });
    for (let i = 0; i < 25; i++) {
      store.append(readings(100));
      expect(ceilingFile().readings).toBeGreaterThanOrEqual(store.lastSeq());
    }
    expect(ceilingFile().readings).toBe(3000);
    for (let minute = 0; minute < 1200; minute += 200) {
      aggregates.upsert(
        Array.from({ length: 200 }, (_, i) => ({
          device: 'nutrient',
          channel: 'cod',
          code: 'w01018',
          unit: 'mg/L',
          period: 'minute' as const,
          start: NOW + (minute + i) * 60_000,
          end: NOW + (minute + i + 1) * 60_000,
          min: 1,
          avg: 1,
          max: 1,
          cou: null,
          count: 1,
          valid: 1,
          expected: 1,
          flag: 'N' as const,
          ok: true,
        })),
      );
      expect(ceilingFile().aggregates).toBeGreaterThanOrEqual(aggregates.lastAseq());
    }
    expect(ceilingFile().aggregates).toBe(2000);
    const events = new EventStore({ db: station.db });
    for (let i = 0; i < 150; i++) events.record(NOW, { kind: 'test' });
    expect(ceilingFile().events).toBe(200);
    expect(ceilingFile().db).toBe(readStoreIdentity(station.db).dbId);
  });

  it('skips nothing after a clean stop', () => {
    const first = open('normal');
    new ReadingStore({ db: first.db }).append(readings(30));
    first.close();
    expect(existsSync(`${path}.in-use`)).toBe(false);
    const second = open('normal');
    expect(second.seqsSkipped).toBeNull();
    expect(new ReadingStore({ db: second.db }).append(readings(1))[0]!.seq).toBe(31);
  });
});

describe('seq ceiling under synchronous: full', () => {
  it('keeps no ceiling: every commit is durable, and numbering continues after an unclean stop', () => {
    const first = open('full');
    expect(existsSync(`${path}.seq-ceiling`)).toBe(false);
    new ReadingStore({ db: first.db }).append(readings(30));
    first.db.close(); // kill -9: the marker stays
    const second = open('full');
    expect(second.seqsSkipped).toBeNull();
    expect(new ReadingStore({ db: second.db }).append(readings(1))[0]!.seq).toBe(31);
  });

  it('still resumes above the ceiling a normal run left, then drops the ceiling', () => {
    const first = open('normal');
    new ReadingStore({ db: first.db }).append(readings(30));
    first.db.close();
    const second = open('full');
    expect(second.seqsSkipped?.readings).toEqual({ from: 31, to: 1000 });
    expect(existsSync(`${path}.seq-ceiling`)).toBe(false);
  });
});
