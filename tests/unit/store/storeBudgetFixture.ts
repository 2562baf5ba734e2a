import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { uplinkBounds } from '../../../agent/app/plugins.js';
import type { UplinkConfig } from '../../../agent/config/schema.js';
import type { StorageConfig } from '../../../agent/config/storageSchema.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading, StoredReading } from '../../../agent/core/reading.js';
import { AggregateStore } from '../../../agent/store/aggregateStore.js';
import { EventStore } from '../../../agent/store/eventStore.js';
import type { DataLossEvent } from '../../../agent/store/eviction.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { StoreBudget } from '../../../agent/store/storeBudget.js';
import { type StatFs, StoreUsageMeter } from '../../../agent/store/storeUsage.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/** A real SQLite file with the stores, a fake clock and a statfs the test sets (free bytes). */
export const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);
export const DAY = 86_400_000;
export const GB = 1024 ** 3;

export function reading(i: number, channel = 'cod', over: Partial<NewReading> = {}): NewReading {
  return {
    ts: T0 + i * 1000,
    device: 'nutrient',
    channel,
    code: channel === 'cod' ? 'w01018' : 'w21003',
    value: 20 + (i % 7),
    unit: 'mg/L',
    flag: 'N',
    ...over,
  };
}

/** MQTT uplink as the schema yields it; only id and type matter to the budget. */
export function mqtt(id: string): UplinkConfig {
  return { id, type: 'mqtt' } as UplinkConfig;
}

export function hj212(id: string, send: string[]): UplinkConfig {
  return { id, type: 'hj212', send } as unknown as UplinkConfig;
}

export interface BudgetRig {
  db: Database.Database;
  path: string;
  readings: ReadingStore;
  aggregates: AggregateStore;
  events: EventStore;
  cursors: Outbox;
  clock: FakeClock;
  /** Free bytes the injected statfs reports. */
  disk: { free: number };
  budget(storage?: Partial<StorageConfig>, uplinks?: UplinkConfig[]): StoreBudget;
  /** Data bytes (pages holding data) right now. */
  dataBytes(): number;
  seqs(): number[];
  losses(): DataLossEvent[];
  readAll(): StoredReading[];
  close(): void;
}

export function budgetRig(): BudgetRig {
  const dir = mkdtempSync(join(tmpdir(), 'budget-'));
  const path = join(dir, 'station.db');
  const db = openDatabase({ path, log: silentLogger() });
  const clock = new FakeClock({ wall: T0 + 400 * DAY });
  const disk = { free: 100 * GB };
  const statfs: StatFs = () => ({ bavail: Math.floor(disk.free / 4096), bsize: 4096 });
  const events = new EventStore({ db });
  const meter = () =>
    // The WAL is left out (size 0): what it holds depends on checkpoints, not on the policy tested.
    new StoreUsageMeter({ db, path, statfs, fileSize: () => 0 });
  return {
    db,
    path,
    readings: new ReadingStore({ db }),
    aggregates: new AggregateStore({ db }),
    events,
    cursors: new Outbox({ db }),
    clock,
    disk,
    budget: (storage = {}, uplinks = []) =>
      new StoreBudget({
        db,
        storage: {
          path,
          maxSize: 2 * GB,
          minFreeDisk: 0,
          retention: { readings: 90 * DAY, aggregates: 1095 * DAY },
          checkInterval: 60_000,
          ...storage,
        },
        uplinks,
        boundsOf: uplinkBounds,
        events,
        clock,
        log: silentLogger(),
        meter: meter(),
      }),
    dataBytes: () => meter().measure().dataBytes,
    seqs: () => db.prepare('SELECT seq FROM readings ORDER BY seq').pluck().all() as number[],
    losses: () =>
      events
        .readAfter(0, 10_000)
        .map((e) => e.event)
        .filter((e): e is DataLossEvent => e.kind === 'data-loss'),
    readAll: function readAll() {
      return this.readings.readAfter(0, 1_000_000);
    },
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether `seqs` is one run without holes (the prefix invariant leaves no gap). */
export function contiguous(seqs: readonly number[]): boolean {
  return seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);
}
