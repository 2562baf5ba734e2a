/**
 * What `PRAGMA quick_check` costs on a large station database, to decide when the agent runs it at
 * start (agent/store/openStationDatabase.ts). Builds a database of N readings with the agent's own
 * schema and store, then times, side by side on the same file: reading the file once (the floor: a
 * check reads every page), quick_check and integrity_check.
 *
 *   npx tsx scripts/bench/storeCheckCost.ts [--readings 2000000] [--dir /tmp]
 *
 * Warm-cache times are what a restart right after a crash sees (the pages are still in the page
 * cache); a cold start after a power cut reads the whole file from flash, which the plain read
 * approximates once the cache is dropped (as root: `echo 1 > /proc/sys/vm/drop_caches`, tried here).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { NewReading } from '../../agent/core/reading.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';

const { values } = parseArgs({
  options: { readings: { type: 'string', default: '2000000' }, dir: { type: 'string', default: tmpdir() } },
});
const total = Number(values.readings);
const dir = mkdtempSync(join(values.dir, 'quick-check-'));
const path = join(dir, 'agent.db');
const log = pino({ level: 'silent' });

function ms(fn: () => unknown): { ms: number; result: unknown } {
  const t0 = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, result };
}

/** Reads the whole file in 1 MB chunks: what any full check must at least do. */
function readWholeFile(file: string): number {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) return n;
      n += got;
    }
  } finally {
    closeSync(fd);
  }
}

function dropCaches(): boolean {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

try {
  const build = ms(() => {
    const db = openDatabase({ path, log, synchronous: 'normal' });
    const store = new ReadingStore({ db, log });
    // 20 channels polled every 10 s: the shape of a water station's year of readings.
    const channels = Array.from({ length: 20 }, (_, i) => `ch${i}`);
    const batch: NewReading[] = [];
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < total; i++) {
      batch.push({
        ts: t0 + Math.floor(i / channels.length) * 10_000,
        device: 'sonde',
        channel: channels[i % channels.length]!,
        code: 'w01001',
        value: 7 + Math.sin(i / 100),
        unit: null,
        flag: 'N',
      });
      if (batch.length === 1000) store.append(batch.splice(0));
    }
    if (batch.length > 0) store.append(batch);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  });
  const size = statSync(path).size;
  console.log(`built ${total} readings in ${(build.ms / 1000).toFixed(1)} s: ${(size / 1e6).toFixed(1)} MB`);

  const runs: Record<string, number[]> = { read: [], quick_check: [], integrity_check: [] };
  const cold: Record<string, number> = {};
  for (let run = 0; run < 3; run++) {
    runs.read!.push(ms(() => readWholeFile(path)).ms);
    const db = openDatabase({ path, log });
    const quick = ms(() => db.pragma('quick_check', { simple: true }));
    if (quick.result !== 'ok') throw new Error(`quick_check said ${String(quick.result)}`);
    runs.quick_check!.push(quick.ms);
    runs.integrity_check!.push(ms(() => db.pragma('integrity_check', { simple: true })).ms);
    db.close();
  }
  if (dropCaches()) {
    cold.read = ms(() => readWholeFile(path)).ms;
    dropCaches();
    const db = openDatabase({ path, log });
    cold.quick_check = ms(() => db.pragma('quick_check', { simple: true })).ms;
    db.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, xs] of Object.entries(runs)) {
    console.log(`${name.padEnd(16)} warm: ${median(xs).toFixed(0)} ms (runs ${xs.map((x) => x.toFixed(0))})`);
  }
  const ratio = median(runs.quick_check!) / median(runs.read!);
  console.log(`quick_check / plain read (warm): ${ratio.toFixed(1)}x`);
  if (cold.read !== undefined) {
    console.log(`cold: read ${cold.read.toFixed(0)} ms, quick_check ${cold.quick_check?.toFixed(0)} ms`);
  } else {
    console.log('cold cache: not measured (cannot write /proc/sys/vm/drop_caches)');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
