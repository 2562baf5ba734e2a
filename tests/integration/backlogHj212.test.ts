/**
 * Issue 14: `station-agent backlog` on a station with an MQTT and two HJ 212 uplinks (the
 * regulator's link), as run on the station PC: the BUILT CLI against a real SQLite file written
 * through the store's own API (readings, aggregates, cursors, re-send ranges), the writer connection
 * still open as the running agent's would be.
 */

import { spawnSync } from 'node:child_process';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading, StoredReading } from '../../agent/core/reading.js';
import { AggregateStore } from '../../agent/store/aggregateStore.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { Outbox } from '../../agent/store/outbox.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { UplinkSettingsStore } from '../../agent/store/uplinkSettings.js';
import { AGENT_CLI, assertBuilt } from '../../scripts/support/agentProcess.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';
import { AGG_T0, codMinute } from '../helpers/aggregateFixture.js';

/** 2026-11-01 00:00 in Shanghai. */
const T0 = Date.UTC(2026, 9, 31, 16, 0);
const CHANNELS = [
  { device: 'nutrient', channel: 'cod', code: 'w01018', unit: 'mg/L' },
  { device: 'nutrient', channel: 'nh3n', code: 'w21003', unit: 'mg/L' },
  { device: 'sonde', channel: 'ph', code: 'w01001', unit: null },
];
const HJ212 = { type: 'hj212', host: '127.0.0.1', port: 1, version: 2017, pw: '123456', st: 21 };

const station = tempStation();
let writer: Database.Database;
let stored: StoredReading[] = [];

beforeAll(() => {
  assertBuilt();
  writeYaml(station.configPath, {
    version: 1,
    station: { id: 'BACKLOG-HJ', timezone: 'Asia/Shanghai' },
    storage: { path: station.dbPath },
    uplinks: [
      { id: 'cloud', type: 'mqtt', url: 'mqtt://127.0.0.1:1' },
      { id: 'province', mn: '010000A8900016F000169DC0', ...HJ212 },
      { id: 'county', mn: '010000A8900016F000169DC1', send: ['hour'], ...HJ212 },
    ],
  });
  writer = openDatabase({ path: station.dbPath, log: silentLogger() });
  // Readings seq 1..300: three channels a minute for 100 minutes.
  const batch: NewReading[] = [];
  for (let i = 0; i < 100; i++) {
    for (const c of CHANNELS) batch.push({ ...c, ts: T0 + i * 60_000, value: i, flag: 'N' });
  }
  stored = new ReadingStore({ db: writer }).append(batch);
  // Aggregates: ten minute records (aseq 1..10), then two hour records (aseq 11, 12).
  const aggregates = new AggregateStore({ db: writer });
  aggregates.upsert(Array.from({ length: 10 }, (_, i) => codMinute(i)));
  const hour = { period: 'hour' as const, start: AGG_T0, end: AGG_T0 + 3_600_000 };
  aggregates.upsert([codMinute(0, hour), codMinute(0, { ...hour, channel: 'nh3n', code: 'w21003' })]);

  const outbox = new Outbox({ db: writer, clock: { now: () => Date.now() - 120_000 } });
  const settings = new UplinkSettingsStore({ db: writer });
  outbox.confirm('cloud', 250);
  outbox.confirm('cloud#aggregates', 12);
  // province was cut off: at its reconnection seq (50, 200] became its re-send range, re-sent up to 100;
  // live since then up to 280. Its aggregates: live up to aseq 5, the range (0, 3] not re-sent yet.
  settings.set('province', 'backlog.realtime', [{ from: 50, to: 200 }]);
  outbox.confirm('province#realtime', 280);
  outbox.confirm('province#realtime-backlog', 100);
  settings.set('province', 'backlog.aggregates', [{ from: 0, to: 3 }]);
  outbox.confirm('province#aggregates', 5);
});
afterAll(() => {
  writer.close();
  station.remove();
});

function backlog(...extra: string[]) {
  const r = spawnSync(process.execPath, [AGENT_CLI, 'backlog', '--config', station.configPath, ...extra], {
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('station-agent backlog with MQTT and HJ 212 uplinks (built CLI)', () => {
  it('prints a line per HJ 212 stream: unsent, to re-send, oldest unsent in station time', () => {
    const r = backlog();
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(
      /^uplink\s+stream\s+cursor\s+unsent\s+to resend\s+oldest unsent\s+age\s+cursor moved$/m,
    );
    expect(out).toMatch(/^cloud\s+readings\s+250\s+50\s+2026-11-01T01:23:00\.000\+08:00\s+\d+d/m);
    expect(out).toMatch(/^cloud\s+aggregates\s+12\s+0\s+—\s+—\s+\d+m( \d+s)? ago$/m);
    // 20 after the live cursor (281..300) and 100 of the range after the re-send cursor (101..200).
    expect(out).toMatch(/^province\s+realtime\s+280\s+120\s+100\s+2026-11-01T00:33:00\.000\+08:00\s+/m);
    // Minute records aseq 6..10 live, 1..3 to re-send; the oldest is the first minute.
    expect(out).toMatch(/^province\s+minute\s+5\s+8\s+3\s+2026-11-28T16:00:00\.000\+08:00\s+/m);
    expect(out).toMatch(/^province\s+hour\s+5\s+2\s+0\s+2026-11-28T16:00:00\.000\+08:00\s+/m);
    expect(out).toMatch(/^province\s+day\s+5\s+0\s+0\s+—\s+—\s+/m);
    // county sends hours only and has never connected.
    expect(out).toMatch(/^county\s+hour\s+none yet\s+2\s+0\s+2026-11-28T16:00:00\.000\+08:00\s+.+\s+—$/m);
    expect(out).not.toMatch(/^county\s+(realtime|minute|day)/m);
    expect(out).toContain('newest reading seq: 300');
    expect(out).not.toContain('not interpreted');
    expect(stored[100]!.ts).toBe(T0 + 33 * 60_000);
  });

  it('--json gives the same numbers for monitoring', () => {
    const r = backlog('--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      lines: {
        uplink: string;
        type: string;
        stream: string;
        depth: number;
        resend?: number;
        oldestTs: number | null;
      }[];
      otherCursors: unknown[];
    };
    const line = (uplink: string, stream: string) =>
      report.lines.find((l) => l.uplink === uplink && l.stream === stream);
    expect(report.lines.map((l) => `${l.uplink}/${l.stream}`)).toEqual([
      'cloud/readings',
      'cloud/aggregates',
      'province/realtime',
      'province/minute',
      'province/hour',
      'province/day',
      'county/hour',
    ]);
    expect(line('province', 'realtime')).toMatchObject({
      type: 'hj212',
      depth: 120,
      resend: 100,
      oldestTs: stored[100]!.ts,
    });
    expect(line('province', 'minute')).toMatchObject({ depth: 8, resend: 3, oldestTs: AGG_T0 });
    expect(line('cloud', 'readings')).toMatchObject({ type: 'mqtt', depth: 50, oldestTs: stored[250]!.ts });
    expect(line('cloud', 'readings')).not.toHaveProperty('resend');
    expect(report.otherCursors).toEqual([]);
  });

  it('never writes the store (no cursor row for county, seen for the first time)', () => {
    const keys = writer.prepare('SELECT uplink FROM uplink_cursors ORDER BY uplink').pluck().all();
    expect(keys).toEqual([
      'cloud',
      'cloud#aggregates',
      'province#aggregates',
      'province#realtime',
      'province#realtime-backlog',
    ]);
  });
});
