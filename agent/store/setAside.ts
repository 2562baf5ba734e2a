import { existsSync, renameSync, statSync } from 'node:fs';

/** SQLite's companion files: a -wal left beside a new file of the same name would be replayed into it. */
const SIDECARS = ['-wal', '-shm', '-journal'] as const;

export interface SetAsideResult {
  /** The new name of the database file (full path). */
  file: string;
  /** Its size in bytes (without its -wal). */
  size: number;
}

/**
 * Renames a damaged database and its -wal/-shm/-journal to `<name>.corrupt-<UTC time>` beside it,
 * e.g. `agent.db.corrupt-20261129T021500Z` and `agent.db.corrupt-20261129T021500Z-wal`, so the file
 * is kept for inspection or recovery (never deleted) and a new database can be created under the old
 * name. The companions go first: were the process to die in between, the main file alone is still
 * found at the next start and set aside then. Throws the rename's error (e.g. a read-only directory).
 */
export function setAsideDatabase(path: string, now: number): SetAsideResult {
  const size = statSync(path).size;
  const stamp = new Date(now)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  let target = `${path}.corrupt-${stamp}`;
  // Two set-asides within one second (a restart loop) must not overwrite the first.
  for (let n = 2; [target, ...SIDECARS.map((s) => target + s)].some(existsSync); n++) {
    target = `${path}.corrupt-${stamp}-${n}`;
  }
  for (const suffix of SIDECARS) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  renameSync(path, target);
  return { file: target, size };
}
