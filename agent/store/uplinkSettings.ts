import type Database from 'better-sqlite3';
import { type Clock, systemClock } from '../core/clock.js';
import { storeWriteError } from './storeErrors.js';

/**
 * Per-uplink persisted state (table uplink_settings): settings a platform changed at run time and
 * bookkeeping such as backlog ranges. Each entry remembers the configured value it replaced
 * (`base`): when the maintainer edits the config afterwards, the config is newer than the
 * platform's change and wins (`effective`).
 */
export class UplinkSettingsStore {
  private readonly clock: Pick<Clock, 'now'>;
  private readonly select: Database.Statement;
  private readonly upsert: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(deps: { db: Database.Database; clock?: Pick<Clock, 'now'> }) {
    const { db } = deps;
    this.clock = deps.clock ?? systemClock;
    this.select = db.prepare('SELECT value, base FROM uplink_settings WHERE uplink = ? AND key = ?');
    this.upsert = db.prepare(
      `INSERT INTO uplink_settings (uplink, key, value, base, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (uplink, key) DO UPDATE
         SET value = excluded.value, base = excluded.base, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare('DELETE FROM uplink_settings WHERE uplink = ? AND key = ?');
  }

  /** The stored value, or undefined. Throws STORE_FAILED when the store cannot be read. */
  get<T>(uplink: string, key: string): { value: T; base: unknown } | undefined {
    return this.wrap(uplink, key, () => {
      const row = this.select.get(uplink, key) as { value: string; base: string | null } | undefined;
      if (row === undefined) return undefined;
      return { value: JSON.parse(row.value) as T, base: row.base === null ? null : JSON.parse(row.base) };
    });
  }

  /**
   * The value in effect: the stored one if it replaced this very configured value, else the
   * configured one (also when the stored entry is unreadable: the config is always a safe answer).
   */
  effective<T>(uplink: string, key: string, configured: T): T {
    let stored: { value: T; base: unknown } | undefined;
    try {
      stored = this.get<T>(uplink, key);
    } catch {
      return configured;
    }
    if (stored === undefined) return configured;
    return JSON.stringify(stored.base) === JSON.stringify(configured) ? stored.value : configured;
  }

  set(uplink: string, key: string, value: unknown, base: unknown = null): void {
    this.wrap(uplink, key, () =>
      this.upsert.run(uplink, key, JSON.stringify(value), JSON.stringify(base), this.clock.now()),
    );
  }

  delete(uplink: string, key: string): void {
    this.wrap(uplink, key, () => this.remove.run(uplink, key));
  }

  private wrap<T>(uplink: string, key: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeWriteError(err, `uplink setting ${key} of ${uplink}: ${String(err)}`, { uplink, key });
    }
  }
}
