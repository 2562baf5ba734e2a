import type Database from 'better-sqlite3';
import { type Clock, systemClock } from '../core/clock.js';
import { storeWriteError } from './storeErrors.js';

/** Keys older than this are pruned: a logger re-sends within hours or days, not weeks. */
const DEFAULT_RETENTION_MS = 14 * 24 * 3600 * 1000;
/** Pruning runs once every this many adds, so it costs one indexed DELETE per batch, not per value. */
const PRUNE_EVERY = 1000;

/**
 * The HJ 212 input's dedupe memory in the station database (table input_seen): which MN|CN|DataTime|code
 * values were taken, across agent restarts. Shaped as the input's SeenPort (has/add) without importing
 * it: the store sits below acquisition.
 */
export class InputSeenStore {
  private readonly clock: Pick<Clock, 'now'>;
  private readonly retentionMs: number;
  private readonly select: Database.Statement;
  private readonly insert: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly insertAll: (keys: readonly string[], now: number) => void;
  private addsSincePrune = 0;

  constructor(deps: { db: Database.Database; clock?: Pick<Clock, 'now'>; retentionMs?: number }) {
    this.clock = deps.clock ?? systemClock;
    this.retentionMs = deps.retentionMs ?? DEFAULT_RETENTION_MS;
    this.select = deps.db.prepare('SELECT 1 FROM input_seen WHERE key = ?').pluck();
    this.insert = deps.db.prepare('INSERT OR IGNORE INTO input_seen (key, seen_at) VALUES (?, ?)');
    this.prune = deps.db.prepare('DELETE FROM input_seen WHERE seen_at < ?');
    this.insertAll = deps.db.transaction((keys: readonly string[], now: number) => {
      for (const k of keys) this.insert.run(k, now);
    });
  }

  has(key: string): boolean {
    try {
      return this.select.get(key) !== undefined;
    } catch (err) {
      throw storeWriteError(err, `input_seen lookup: ${String(err)}`, { key });
    }
  }

  add(key: string): void {
    this.addAll([key]);
  }

  /** One transaction for the keys of one upload: one commit, not one per value. */
  addAll(keys: readonly string[]): void {
    const now = this.clock.now();
    try {
      this.insertAll(keys, now);
      this.addsSincePrune += keys.length;
      if (this.addsSincePrune >= PRUNE_EVERY) {
        this.addsSincePrune = 0;
        this.prune.run(now - this.retentionMs);
      }
    } catch (err) {
      throw storeWriteError(err, `input_seen write: ${String(err)}`, { keys: keys.length });
    }
  }

  /** Removes keys seen before `now - retention`; returns how many. */
  pruneNow(): number {
    return this.prune.run(this.clock.now() - this.retentionMs).changes;
  }
}
