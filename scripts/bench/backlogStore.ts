import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { silentLogger } from '../../agent/core/log.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { pollReadings } from './benchReadings.js';

/**
 * The 7-day backlog of workload 4: 20 channels × 1 Hz × 7 days ≈ 12 M readings, unsent (no cursor).
 * Built once per work directory and reused by later runs (a marker in store_meta says how many rows it
 * was built with); each run only drops the uplink cursors. Building uses synchronous OFF and big
 * transactions — setup only: the agent then opens the file with the shipped settings.
 */

const ROWS_PER_TX = 200_000;

export interface BacklogStore {
  path: string;
  /** Highest seq in the file before the agent starts: everything up to it is backlog. */
  lastSeq: number;
  /** Readings after the cursor when the run starts. */
  backlog: number;
}

/** Returns the store at `path` holding at least `rows` backlog readings, building it if needed. */
export function prepareBacklogStore(path: string, rows: number, log: (line: string) => void): BacklogStore {
  if (!hasMarker(path, rows)) build(path, rows, log);
  const db = new Database(path);
  try {
    db.exec('DELETE FROM uplink_cursors');
    const lastSeq = db
      .prepare("SELECT seq FROM sqlite_sequence WHERE name = 'readings'")
      .pluck()
      .get() as number;
    const first = db.prepare('SELECT min(seq) FROM readings').pluck().get() as number;
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { path, lastSeq, backlog: lastSeq - first + 1 };
  } finally {
    db.close();
  }
}

function hasMarker(path: string, rows: number): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { readonly: true });
  try {
    const v = db.prepare("SELECT value FROM store_meta WHERE key = 'bench_backlog_rows'").pluck().get();
    return v === String(rows);
  } catch {
    return false;
  } finally {
    db.close();
  }
}

function build(path: string, rows: number, log: (line: string) => void): void {
  const tmp = `${path}.building`;
  for (const p of [tmp, `${tmp}-wal`, `${tmp}-shm`, path, `${path}-wal`, `${path}-shm`])
    rmSync(p, { force: true });
  const t0 = performance.now();
  const db = openDatabase({ path: tmp, log: silentLogger(), synchronous: 'normal' });
  try {
    db.pragma('synchronous = OFF');
    // Seven days back from now, so the agent's live readings follow the backlog in time.
    const ticks = Math.ceil(rows / 20);
    const start = Date.now() - ticks * 1000;
    // The first poll through the store: channel rows and the qc/state change points, as the agent writes them.
    const store = new ReadingStore({ db });
    const ids = new Map<string, number>();
    for (const poll of pollReadings(0, start)) {
      for (const r of store.append(poll)) {
        const id = db.prepare('SELECT channel_id FROM readings WHERE seq = ?').pluck().get(r.seq) as number;
        ids.set(`${r.device}/${r.channel}`, id);
      }
    }
    const insert = db.prepare('INSERT INTO readings (ts, channel_id, value, flag) VALUES (?, ?, ?, 0)');
    let written = 20;
    const fill = db.transaction((fromTick: number, toTick: number) => {
      for (let tick = fromTick; tick < toTick; tick++) {
        for (const poll of pollReadings(tick, start)) {
          for (const r of poll) insert.run(r.ts, ids.get(`${r.device}/${r.channel}`)!, r.value);
        }
      }
    });
    const ticksPerTx = ROWS_PER_TX / 20;
    for (let tick = 1; tick < ticks; tick += ticksPerTx) {
      const to = Math.min(ticks, tick + ticksPerTx);
      fill(tick, to);
      written += (to - tick) * 20;
      if ((tick - 1) % (ticksPerTx * 10) === 0) log(`  building backlog store: ${written} readings`);
    }
    db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('bench_backlog_rows', ?)").run(
      String(rows),
    );
    db.pragma('wal_checkpoint(TRUNCATE)');
    log(`  backlog store built: ${written} readings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    db.close();
  }
  renameSync(tmp, path);
}
