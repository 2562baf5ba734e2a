/**
 * Issue 7 part 6: `station-agent export` and `backlog` as a technician runs them on the station
 * PC: the BUILT CLI (`npm run build` first) against a real SQLite file written by the agent's own
 * ReadingStore/Outbox, with that writer connection still open (the agent running beside it).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading, StoredReading } from '../../agent/core/reading.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { AGENT_CLI, assertBuilt, runAgentCli } from '../../scripts/support/agentProcess.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

/** 2026-11-01 00:00 in Shanghai (the station's zone). */
const T0 = Date.UTC(2026, 9, 31, 16, 0);
const STEP = 10_000;
const TIMESTAMPS = 10_000; // 27.7 hours of 10 s polls
const CHANNELS = [
  { device: 'nutrient', channel: 'cod', code: 'w01018', unit: 'mg/L' },
  { device: 'nutrient', channel: 'ph', code: 'w01001', unit: null },
  // A unit with a comma and quotes: the CSV must quote it.
  { device: 'sonde', channel: 'cond', code: 'w01014', unit: 'µS/cm, "raw"' },
];

const station = tempStation();
let writer: Database.Database;
let stored: StoredReading[] = [];

beforeAll(() => {
  assertBuilt();
  writeYaml(station.configPath, {
    version: 1,
    station: { id: 'EXPORT-IT', timezone: 'Asia/Shanghai' },
    storage: { path: station.dbPath },
    uplinks: [
      { id: 'cloud', type: 'mqtt', url: 'mqtt://127.0.0.1:1' },
      { id: 'backup', type: 'mqtt', url: 'mqtt://127.0.0.1:2' },
    ],
  });
  writer = openDatabase({ path: station.dbPath, log: silentLogger() });
  const store = new ReadingStore({ db: writer });
  for (let start = 0; start < TIMESTAMPS; start += 1000) {
    const batch: NewReading[] = [];
    for (let i = start; i < start + 1000; i++) {
      for (const [k, c] of CHANNELS.entries()) {
        batch.push({ ...c, ts: T0 + i * STEP, value: i + k / 10, flag: i % 500 === 0 ? 'B' : 'N' });
      }
    }
    stored.push(...store.append(batch));
  }
});
afterAll(() => {
  writer.close();
  station.remove();
  stored = [];
});

async function cli(args: string[]) {
  const p = runAgentCli(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

/** stdout and stderr apart (runAgentCli merges them), for exports written to standard output. */
function cliApart(args: string[]) {
  const r = spawnSync(process.execPath, [AGENT_CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rowsOf = (csv: string) => csv.trimEnd().split('\r\n').slice(1);
const seqOf = (line: string) => Number(line.split(',')[0]);

describe('station-agent export (built CLI, real store, agent connection open)', () => {
  it('exports one station-time day: exact rows, first/last seq, progress on stderr', () => {
    const r = cliApart([
      'export',
      '--config',
      station.configPath,
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-02',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const expected = stored.filter((s) => s.ts >= T0 && s.ts < T0 + 86_400_000);
    const rows = rowsOf(r.stdout);
    // A byte order mark first (Excel on a Chinese Windows then reads UTF-8), then the header.
    expect(
      r.stdout.startsWith(
        '\uFEFFseq,utc_time,station_time (Asia/Shanghai),device,channel,code,value,unit,flag\r\n',
      ),
    ).toBe(true);
    expect(rows).toHaveLength(expected.length);
    expect(rows.length).toBe(8640 * 3);
    expect(seqOf(rows[0]!)).toBe(expected[0]!.seq);
    expect(seqOf(rows.at(-1)!)).toBe(expected.at(-1)!.seq);
    expect(rows[0]).toBe('1,2026-10-31T16:00:00.000Z,2026-11-01 00:00:00,nutrient,cod,w01018,0,mg/L,B');
    expect(rows[2]).toBe(
      '3,2026-10-31T16:00:00.000Z,2026-11-01 00:00:00,sonde,cond,w01014,0.2,"µS/cm, ""raw""",B',
    );
    // Not a terminal: the progress bar prints a plain line each tenth of the way.
    expect(r.stderr).toMatch(/^export: 25920\/25920/m);
    expect(r.stderr).toContain('exported 25920 reading(s)');
  });

  it('filters channels and writes a file (never a half file under the final name)', async () => {
    const out = join(station.dir, 'cod-ph.csv');
    const from = new Date(T0 + 1000 * STEP).toISOString();
    const to = new Date(T0 + 2000 * STEP).toISOString();
    const r = await cli([
      'export',
      '--config',
      station.configPath,
      '--from',
      from,
      '--to',
      to,
      '--channel',
      'nutrient/cod',
      '--channel',
      'sonde/cond',
      '--output',
      out,
    ]);
    expect(r.code, r.out).toBe(0);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const rows = rowsOf(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(2000);
    expect(rows.every((l) => /,nutrient,cod,|,sonde,cond,/.test(l))).toBe(true);
    expect(seqOf(rows[0]!)).toBe(1000 * 3 + 1);
    expect(seqOf(rows.at(-1)!)).toBe(1999 * 3 + 3);
    expect(r.out).toContain(`exported 2000 reading(s) from ${from} to ${to} to ${out}`);
  });

  it('answers a wrong channel or range with exit code 2 and a hint', async () => {
    const typo = await cli([
      'export',
      '--config',
      station.configPath,
      '--from',
      '2026-11-01',
      '--to',
      '2026-11-02',
      '--channel',
      'sonde/cnd',
    ]);
    expect(typo.code).toBe(2);
    expect(typo.out).toContain(
      'no channel sonde/cnd in the store (stored: nutrient/cod, nutrient/ph, sonde/cond)',
    );
    const backwards = await cli([
      'export',
      '--config',
      station.configPath,
      '--from',
      '2026-11-02',
      '--to',
      '2026-11-01',
    ]);
    expect(backwards.code).toBe(2);
    expect(backwards.out).toContain('must be after --from');
  });

  it('has --help with an example', async () => {
    for (const cmd of ['export', 'backlog']) {
      const r = await cli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Example`);
      expect(r.out).toContain(`station-agent ${cmd} --config /etc/station-agent/station.yaml`);
    }
  });
});

describe('station-agent backlog (built CLI)', () => {
  it('shows per uplink the readings after its cursor and the oldest unsent time', async () => {
    const confirmedAt = Date.now();
    new Outbox({ db: writer, clock: { now: () => confirmedAt } }).confirm('cloud', 29_000);
    const r = cliApart(['backlog', '--config', station.configPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      lastSeq: number;
      lines: {
        uplink: string;
        stream: string;
        cursor: number | null;
        depth: number;
        oldestTs: number | null;
      }[];
    };
    expect(report.lastSeq).toBe(30_000);
    expect(report.lines).toEqual([
      expect.objectContaining({
        uplink: 'cloud',
        stream: 'readings',
        cursor: 29_000,
        depth: 1000,
        oldestTs: stored[29_000]!.ts,
      }),
      expect.objectContaining({
        uplink: 'backup',
        stream: 'readings',
        cursor: null,
        depth: 30_000,
        oldestTs: T0,
      }),
    ]);

    const text = await cli(['backlog', '--config', station.configPath]);
    expect(text.code, text.out).toBe(0);
    expect(text.out).toMatch(
      /^cloud\s+readings\s+29000\s+1000\s+2026-11-02T\d\d:\d\d:\d\d\.000\+08:00\s+\d+d/m,
    );
    expect(text.out).toMatch(/^backup\s+readings\s+none yet\s+30000\s+2026-11-01T00:00:00\.000\+08:00/m);
  });

  it('never writes the store (no cursor row for an uplink seen for the first time)', () => {
    const keys = writer.prepare('SELECT uplink FROM uplink_cursors ORDER BY uplink').pluck().all();
    expect(keys).toEqual(['cloud']);
  });
});
