import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { DATA_FLAGS, type DataFlag } from '../../agent/core/reading.js';

export const DEMO_MAP = fileURLToPath(
  new URL('../../scripts/simulator/maps/demo-water.yaml', import.meta.url),
);

/** A temp folder for one test's config and database; remove() deletes it. */
export function tempStation(): { dir: string; dbPath: string; configPath: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sa-station-'));
  return {
    dir,
    dbPath: join(dir, 'agent.db'),
    configPath: join(dir, 'station.yaml'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function writeYaml(path: string, value: unknown): void {
  writeFileSync(path, stringify(value));
}

/** The nutrient analyzer (unit 7) of the demo map, as a device config. */
export function nutrientDevice(bus: string, interval: string, id = 'nutrient') {
  return {
    id,
    bus,
    unit: 7,
    interval,
    channels: [
      {
        id: 'cod',
        code: 'w01018',
        unit: 'mg/L',
        register: { table: 'input', address: 0, type: 'float32', order: 'CDAB' },
      },
      { id: 'ph', code: 'w01001', register: { table: 'input', address: 16, type: 'int16' }, scale: 0.01 },
    ],
    status: {
      register: { table: 'input', address: 32, type: 'uint16' },
      flags: { 0: 'N', 1: 'C', 2: 'M', 3: 'D' },
    },
  };
}

/** The five-parameter sonde (unit 1) of the demo map, as a device config. */
export function sondeDevice(bus: string, interval: string, id = 'sonde') {
  const ch = (cid: string, code: string, address: number) => ({
    id: cid,
    code,
    register: { table: 'input', address, type: 'float32' },
  });
  return {
    id,
    bus,
    unit: 1,
    interval,
    channels: [
      ch('temp', 'w01010', 0),
      ch('ph', 'w01001', 2),
      ch('do', 'w01009', 4),
      ch('cond', 'w01014', 6),
      ch('turb', 'w01003', 8),
    ],
  };
}

export interface StoredRow {
  seq: number;
  ts: number;
  device: string;
  channel: string;
  value: number | null;
  flag: DataFlag;
}

/** Reads what the agent committed, straight from its SQLite file (read-only, beside the running agent). */
export function readStored(dbPath: string): StoredRow[] {
  if (!existsSync(dbPath)) return []; // the agent has not created it yet
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    if (!hasReadings(db)) return []; // created, not yet migrated
    const rows = db
      .prepare(
        `SELECT r.seq, r.ts, c.device, c.channel, r.value, r.flag
           FROM readings r JOIN channels c ON c.id = r.channel_id ORDER BY r.seq`,
      )
      .all() as {
      seq: number;
      ts: number;
      device: string;
      channel: string;
      value: number | null;
      flag: number;
    }[];
    return rows.map((r) => ({ ...r, flag: DATA_FLAGS[r.flag] ?? 'D' }));
  } finally {
    db.close();
  }
}

export function maxStoredSeq(dbPath: string): number {
  if (!existsSync(dbPath)) return 0;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    if (!hasReadings(db)) return 0;
    const row = db.prepare('SELECT max(seq) AS m FROM readings').get() as { m: number | null };
    return row.m ?? 0;
  } finally {
    db.close();
  }
}

/** The agent creates the file first and its tables a moment later: a reader may come in between. */
function hasReadings(db: Database.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'readings'").get() !== undefined
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
