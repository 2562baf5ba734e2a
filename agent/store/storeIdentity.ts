import type Database from 'better-sqlite3';

/** Who this database file is: drawn once when the file was created (migration 4). */
export interface StoreIdentity {
  /** 32 hex digits. Seqs are unique only within one db_id: a new file starts again at seq 1. */
  dbId: string;
  /** When the file was created, epoch ms. */
  createdAt: number;
}

export function readStoreIdentity(db: Database.Database): StoreIdentity {
  const rows = db.prepare('SELECT key, value FROM store_meta').all() as { key: string; value: string }[];
  const meta = new Map(rows.map((r) => [r.key, r.value]));
  return { dbId: meta.get('db_id') ?? '', createdAt: Number(meta.get('created_at') ?? 0) };
}
