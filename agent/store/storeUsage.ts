import { statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3';

/**
 * How much of its budget the store uses, and how much room is left (docs/storage.md).
 *
 * Deleting rows does not shrink an SQLite file: the freed pages go to the freelist and are reused
 * by later writes. So "used" is the pages holding data, (page_count - freelist_count) * page_size,
 * plus the WAL file, and the room left for new data is the filesystem's free space plus those
 * free pages. Both move at once when rows are deleted, although the file keeps its size.
 */

export type StatFs = (path: string) => { bavail: number | bigint; bsize: number | bigint };

export interface StoreUsage {
  /** Bytes of pages holding data plus the WAL file: what maxSize caps. */
  usedBytes: number;
  /** Bytes of pages holding data, without the WAL. */
  dataBytes: number;
  walBytes: number;
  /** Bytes of free pages inside the database file, reused before the file grows. */
  freePageBytes: number;
  /** Free space on the filesystem for an unprivileged writer; Infinity for an in-memory store. */
  diskFreeBytes: number;
  /** What new data can still take: diskFreeBytes + freePageBytes. Compared with minFreeDisk. */
  availableBytes: number;
}

export interface StoreUsageDeps {
  db: Database.Database;
  /** The database file, or ':memory:'. */
  path: string;
  /** fs.statfsSync by default; tests inject a filesystem that fills up. */
  statfs?: StatFs;
  /** Size of a file in bytes, 0 when it does not exist; fs.statSync by default. */
  fileSize?: (path: string) => number;
}

export class StoreUsageMeter {
  private readonly db: Database.Database;
  private readonly path: string;
  private readonly statfs: StatFs;
  private readonly fileSize: (path: string) => number;

  constructor(deps: StoreUsageDeps) {
    this.db = deps.db;
    this.path = deps.path;
    this.statfs = deps.statfs ?? ((p) => statfsSync(p));
    this.fileSize = deps.fileSize ?? defaultFileSize;
  }

  get inMemory(): boolean {
    return this.path === ':memory:' || this.path === '';
  }

  measure(): StoreUsage {
    const pageSize = this.pragma('page_size');
    const pages = this.pragma('page_count');
    const free = this.pragma('freelist_count');
    const dataBytes = (pages - free) * pageSize;
    const freePageBytes = free * pageSize;
    const walBytes = this.inMemory ? 0 : this.fileSize(`${this.path}-wal`);
    let diskFreeBytes = Number.POSITIVE_INFINITY;
    if (!this.inMemory) {
      const s = this.statfs(dirname(resolve(this.path)));
      diskFreeBytes = Number(s.bavail) * Number(s.bsize);
    }
    return {
      usedBytes: dataBytes + walBytes,
      dataBytes,
      walBytes,
      freePageBytes,
      diskFreeBytes,
      availableBytes: diskFreeBytes + freePageBytes,
    };
  }

  private pragma(name: string): number {
    return Number(this.db.pragma(name, { simple: true }));
  }
}

function defaultFileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // no WAL file (yet, or after a clean close)
  }
}
