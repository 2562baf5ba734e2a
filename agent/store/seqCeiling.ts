import { readFileSync, rmSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { syncFile, writeFileDurably } from './durableFile.js';
import type { StationEvent } from './eventStore.js';

/**
 * Numbers never handed out twice under one `db`, even across a power cut with
 * `storage.synchronous: normal` (docs/storage.md, "Power cuts").
 *
 * With `normal` a commit is not fsynced: a power cut can take the last commits of the WAL with it
 * after the uplinks published them. AUTOINCREMENT would then give the same seqs (event ids, aseqs)
 * to new rows under the same `db`, and a receiver deduplicating on (station, db, seq), as the MQTT
 * contract tells it to, would drop the new readings as repeats. So in that mode the store commits
 * no number above a ceiling it recorded durably first (`<database>.seq-ceiling`, fsynced), and after
 * an unclean stop it resumes above the recorded ceiling: every number that may have been published
 * was committed, every committed number is at most the ceiling, and the ceiling was on disk before
 * the commit, so no power cut can take it back.
 *
 * The check is an AFTER INSERT trigger (TEMP: this connection only, nothing in the file) on each
 * numbered table, so every way a row gets in is covered. It calls back into JS only on every
 * BLOCK-th number: ceilings are multiples of BLOCK, numbers are consecutive, so the first number
 * above a ceiling is always one with `n % BLOCK = 1`. Cost: ~1.5 µs per inserted row (the trigger)
 * and one durable file write per BLOCK rows; the gap left after an unclean stop is under BLOCK.
 * The alternative, a new `db` after such a stop, would make the receiver take the readings it already
 * had and the station sends again (not yet confirmed in the store after the cut) as new ones.
 */

/** The tables whose numbers travel upstream or key a cursor, and their number column. */
const NUMBERED = { readings: 'seq', aggregates: 'aseq', events: 'id' } as const;
export type NumberedTable = keyof typeof NUMBERED;
const TABLES = Object.keys(NUMBERED) as NumberedTable[];

/** Numbers covered by one ceiling write. Events are few: a smaller step keeps their gap small. */
const BLOCK: Readonly<Record<NumberedTable, number>> = { readings: 1000, aggregates: 1000, events: 100 };

/** store_meta key: the readings seq ranges skipped so far, JSON [[from, to], ...] (ReadingStore.countAfter). */
export const READING_SEQ_SKIPS_KEY = 'readings_seq_skips';

const RAISE_FUNCTION = 'station_agent_raise_seq_ceiling';

export type Ceilings = Record<NumberedTable, number>;

interface CeilingFile extends Ceilings {
  /** The store's db_id: a ceiling belongs to one database file. */
  db: string;
}

/** Inclusive range of numbers never given. */
export interface SkippedRange {
  from: number;
  to: number;
}

/** The event recorded when a start resumed above the ceiling (docs/mqtt-contract.md). */
export interface StoreSeqsSkippedEvent extends StationEvent {
  kind: 'store-seqs-skipped';
  reason: 'unclean-stop';
  /** Per table, the numbers that will never be given (null: none skipped). */
  readings: SkippedRange | null;
  aggregates: SkippedRange | null;
  events: SkippedRange | null;
}

export class SeqCeiling {
  readonly path: string;
  private readonly databasePath: string;
  private ceilings: CeilingFile | null = null;

  constructor(databasePath: string) {
    this.databasePath = databasePath;
    this.path = `${databasePath}.seq-ceiling`;
  }

  /**
   * After an unclean stop: moves each table's AUTOINCREMENT counter up to the ceiling recorded for
   * this database, in one transaction, and returns the event describing the numbers skipped (null
   * when there is no ceiling for this db, or nothing to skip). The caller records the event.
   */
  resumeAbove(db: Database.Database, dbId: string): StoreSeqsSkippedEvent | null {
    const recorded = this.read();
    if (recorded === null || recorded.db !== dbId) return null;
    const skipped = db.transaction(() => {
      const out: Record<NumberedTable, SkippedRange | null> = {
        readings: null,
        aggregates: null,
        events: null,
      };
      for (const table of TABLES) {
        const last = lastNumber(db, table);
        if (recorded[table] <= last) continue;
        const moved = db
          .prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?')
          .run(recorded[table], table);
        if (moved.changes === 0) {
          db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, recorded[table]);
        }
        out[table] = { from: last + 1, to: recorded[table] };
      }
      if (out.readings !== null) noteReadingSkip(db, out.readings);
      return out;
    })();
    if (skipped.readings === null && skipped.aggregates === null && skipped.events === null) return null;
    return { kind: 'store-seqs-skipped', reason: 'unclean-stop', ...skipped };
  }

  /**
   * From now on no number above the recorded ceiling is committed on this connection: records a
   * ceiling above every number given so far, durably, then installs the triggers that raise it.
   */
  guard(db: Database.Database, dbId: string): void {
    const ceilings = { db: dbId } as CeilingFile;
    for (const table of TABLES) {
      const block = BLOCK[table];
      ceilings[table] = (Math.floor(lastNumber(db, table) / block) + 1) * block;
    }
    this.write(ceilings);
    // Called inside the inserting statement, before its transaction commits: the ceiling is on disk
    // before the row can be, and so before any uplink can read it.
    db.function(RAISE_FUNCTION, { deterministic: false }, (table: unknown, n: unknown) => {
      this.raise(table as NumberedTable, Number(n));
      return null;
    });
    for (const table of TABLES) {
      const column = NUMBERED[table];
      db.exec(
        `CREATE TEMP TRIGGER IF NOT EXISTS station_agent_seq_ceiling_${table}
           AFTER INSERT ON main.${table} WHEN NEW.${column} % ${BLOCK[table]} = 1
           BEGIN SELECT ${RAISE_FUNCTION}('${table}', NEW.${column}); END`,
      );
    }
  }

  /**
   * Before a clean close: makes every committed frame of the WAL durable. Closing checkpoints (and
   * so syncs) only when no other connection (a CLI reading the store) has the file open; without
   * this, a cut after such a close could still lose commits although the marker says the stop was
   * clean, and the next start would not resume above the ceiling.
   */
  syncWal(): void {
    syncFile(`${this.databasePath}-wal`);
  }

  /** `synchronous: full`: every commit is durable, no ceiling is kept. */
  forget(): void {
    rmSync(this.path, { force: true });
  }

  /** The recorded ceilings, or null when there are none (or the file is not ours). */
  read(): CeilingFile | null {
    let parsed: Partial<CeilingFile>;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<CeilingFile>;
    } catch {
      return null; // absent; never torn (written by rename)
    }
    if (typeof parsed.db !== 'string') return null;
    const out = { db: parsed.db } as CeilingFile;
    for (const table of TABLES) {
      const n = parsed[table];
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return null;
      out[table] = n;
    }
    return out;
  }

  private raise(table: NumberedTable, n: number): void {
    const current = this.ceilings;
    if (current === null || !(table in NUMBERED)) throw new Error(`seq ceiling: not guarding ${table}`);
    // n is the first number of a block: cover the whole block. A rolled-back insert gives n again
    // and finds it covered.
    const needed = n - 1 + BLOCK[table];
    if (current[table] >= needed) return;
    this.write({ ...current, [table]: needed });
  }

  private write(ceilings: CeilingFile): void {
    writeFileDurably(this.path, JSON.stringify(ceilings));
    this.ceilings = ceilings;
  }
}

/** The highest number AUTOINCREMENT has given in `table` (0 for none). */
function lastNumber(db: Database.Database, table: NumberedTable): number {
  const seq = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table);
  return typeof seq === 'number' ? seq : 0;
}

function noteReadingSkip(db: Database.Database, range: SkippedRange): void {
  const skips = readingSeqSkips(db);
  skips.push([range.from, range.to]);
  db.prepare('INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)').run(
    READING_SEQ_SKIPS_KEY,
    JSON.stringify(skips),
  );
}

/** Readings seq ranges skipped after unclean stops, oldest first; none in a store that never skipped. */
export function readingSeqSkips(db: Database.Database): [number, number][] {
  let text: unknown;
  try {
    text = db.prepare('SELECT value FROM store_meta WHERE key = ?').pluck().get(READING_SEQ_SKIPS_KEY);
  } catch {
    return []; // a file older than store_meta (read-only tools open those without migrating)
  }
  if (typeof text !== 'string') return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (r): r is [number, number] =>
        Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]),
    );
  } catch {
    return [];
  }
}
