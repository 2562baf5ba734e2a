import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatAge, formatBacklog } from '../../../agent/cli/backlogCommand.js';
import { backlogReport } from '../../../agent/cli/backlogReport.js';
import { ZonedTime } from '../../../agent/cli/csv.js';
import type { Hj212SendKind } from '../../../agent/config/hj212Schema.js';
import { type UplinkConfig, uplinkSchema } from '../../../agent/config/schema.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading, StoredReading } from '../../../agent/core/reading.js';
import { AggregateStore } from '../../../agent/store/aggregateStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';
import { Outbox } from '../../../agent/store/outbox.js';
import { ReadingStore } from '../../../agent/store/readingStore.js';
import { UplinkSettingsStore } from '../../../agent/store/uplinkSettings.js';
import { AGG_T0, codMinute } from '../../helpers/aggregateFixture.js';

const T0 = Date.UTC(2026, 10, 1, 0, 0); // 08:00 in Shanghai

/** Configured uplinks as the command gets them (parsed, defaults filled); only id and send matter here. */
const mqtt = (id: string): UplinkConfig => uplinkSchema.parse({ id, type: 'mqtt', url: 'mqtt://127.0.0.1' });
const hj212 = (id: string, send: Hj212SendKind[]): UplinkConfig =>
  uplinkSchema.parse({
    id,
    type: 'hj212',
    host: '127.0.0.1',
    port: 9000,
    version: 2017,
    mn: '1',
    pw: '123456',
    st: '21',
    send,
  });
const zone = new ZonedTime('Asia/Shanghai');

let dir: string;
let db: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sa-backlog-'));
  db = openDatabase({ path: join(dir, 'agent.db'), log: silentLogger() });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two channels every minute for `minutes` minutes: seq 1..2*minutes. */
function fill(minutes: number): StoredReading[] {
  const batch: NewReading[] = [];
  for (let i = 0; i < minutes; i++) {
    const ts = T0 + i * 60_000;
    batch.push({ ts, device: 'nutrient', channel: 'cod', code: 'w01018', value: i, unit: 'mg/L', flag: 'N' });
    batch.push({ ts, device: 'sonde', channel: 'ph', code: 'w01001', value: 7, unit: null, flag: 'N' });
  }
  return new ReadingStore({ db }).append(batch);
}

describe('backlog of MQTT uplinks', () => {
  it('counts readings and aggregates after each uplink cursor, with the oldest unsent time', () => {
    const stored = fill(10); // seq 1..20
    const outbox = new Outbox({ db, clock: { now: () => T0 + 3_600_000 } });
    outbox.confirm('cloud', 14); // sent up to minute 6
    outbox.cursor('cloud#aggregates');
    const report = backlogReport(db, [mqtt('cloud'), mqtt('spare')]);
    expect(report.lastSeq).toBe(20);
    expect(report.lines).toEqual([
      {
        uplink: 'cloud',
        type: 'mqtt',
        stream: 'readings',
        cursorKey: 'cloud',
        cursor: 14,
        depth: 6,
        oldestTs: stored[14]!.ts,
        updatedAt: T0 + 3_600_000,
      },
      {
        uplink: 'cloud',
        type: 'mqtt',
        stream: 'aggregates',
        cursorKey: 'cloud#aggregates',
        cursor: 0,
        depth: 0,
        oldestTs: null,
        updatedAt: T0 + 3_600_000,
      },
      {
        uplink: 'spare',
        type: 'mqtt',
        stream: 'readings',
        cursorKey: 'spare',
        cursor: null,
        depth: 20,
        oldestTs: T0,
        updatedAt: null,
      },
    ]);
    const text = formatBacklog(report, zone, T0 + 2 * 3_600_000);
    expect(text).toMatch(/^cloud\s+readings\s+14\s+6\s+2026-11-01T08:07:00\.000\+08:00\s+1h 53m\s+1h ago$/m);
    expect(text).toMatch(/^spare\s+readings\s+none yet\s+20\s+2026-11-01T08:00:00\.000\+08:00\s+2h\s+—$/m);
    // No HJ 212 uplink: no re-send column.
    expect(text).not.toContain('to resend');
  });

  it('reports the events stream once it has a cursor', () => {
    fill(1);
    new Outbox({ db }).confirm('cloud#events', 0);
    const report = backlogReport(db, [mqtt('cloud')]);
    expect(report.lines.map((l) => l.stream)).toEqual(['readings', 'events']);
    expect(report.otherCursors).toEqual([]);
  });
});

describe('backlog of HJ 212 uplinks', () => {
  /**
   * Readings seq 1..20; aggregates: six minute records (aseq 1..6) and one hour record (aseq 7).
   * "province": its live real-time cursor at 15, a re-send range (4, 10] handed over at a reconnect
   * and re-sent up to 6; its aggregates confirmed up to aseq 3. "county" sends hours only and has
   * never connected.
   */
  function station() {
    const stored = fill(10);
    const aggregates = new AggregateStore({ db });
    aggregates.upsert([0, 1, 2, 3, 4, 5].map((i) => codMinute(i)));
    aggregates.upsert([codMinute(0, { period: 'hour', start: AGG_T0, end: AGG_T0 + 3_600_000 })]);
    const moved = T0 + 30 * 60_000;
    const outbox = new Outbox({ db, clock: { now: () => moved } });
    outbox.confirm('province#realtime', 15);
    outbox.confirm('province#realtime-backlog', 6);
    outbox.confirm('province#aggregates', 3);
    outbox.confirm('removed#realtime', 4);
    new UplinkSettingsStore({ db }).set('province', 'backlog.realtime', [{ from: 4, to: 10 }]);
    return { stored, moved };
  }

  it('reports realtime, minute, hour and day: after the live cursor plus the re-send ranges', () => {
    const { stored, moved } = station();
    const report = backlogReport(db, [
      hj212('province', ['realtime', 'minute', 'hour', 'day']),
      hj212('county', ['hour']),
    ]);
    expect(report.lines).toEqual([
      {
        uplink: 'province',
        type: 'hj212',
        stream: 'realtime',
        cursorKey: 'province#realtime',
        cursor: 15,
        // seq 16..20 after the live cursor, and 7..10 of the range (4, 10] after the re-send cursor 6
        depth: 9,
        resend: 4,
        oldestTs: stored[6]!.ts,
        updatedAt: moved,
      },
      {
        uplink: 'province',
        type: 'hj212',
        stream: 'minute',
        cursorKey: 'province#aggregates',
        cursor: 3,
        depth: 3,
        resend: 0,
        oldestTs: AGG_T0 + 3 * 60_000,
        updatedAt: moved,
      },
      {
        uplink: 'province',
        type: 'hj212',
        stream: 'hour',
        cursorKey: 'province#aggregates',
        cursor: 3,
        depth: 1,
        resend: 0,
        oldestTs: AGG_T0,
        updatedAt: moved,
      },
      {
        uplink: 'province',
        type: 'hj212',
        stream: 'day',
        cursorKey: 'province#aggregates',
        cursor: 3,
        depth: 0,
        resend: 0,
        oldestTs: null,
        updatedAt: moved,
      },
      {
        uplink: 'county',
        type: 'hj212',
        stream: 'hour',
        cursorKey: 'county#aggregates',
        cursor: null,
        depth: 1,
        resend: 0,
        oldestTs: AGG_T0,
        updatedAt: null,
      },
    ]);
    // Every cursor of a configured HJ 212 uplink is interpreted now; a removed uplink's is listed.
    expect(report.otherCursors).toEqual([]);
    expect(report.unknownCursors).toEqual([{ key: 'removed#realtime', cursor: 4 }]);

    const text = formatBacklog(report, zone, T0 + 3_600_000);
    expect(text).toMatch(
      /^province\s+realtime\s+15\s+9\s+4\s+2026-11-01T08:03:00\.000\+08:00\s+57m\s+30m ago$/m,
    );
    expect(text).toMatch(/^province\s+day\s+3\s+0\s+0\s+—\s+—\s+30m ago$/m);
    expect(text).toMatch(/^county\s+hour\s+none yet\s+1\s+0\s+/m);
    expect(text).toMatch(
      /^uplink\s+stream\s+cursor\s+unsent\s+to resend\s+oldest unsent\s+age\s+cursor moved$/m,
    );
    expect(text).toContain('cursor removed#realtime = 4 (no such uplink in the configuration)');
    expect(text).not.toContain('not interpreted');
  });

  it('a range wholly re-sent counts nothing; unreadable ranges count as none', () => {
    fill(10);
    const outbox = new Outbox({ db });
    outbox.confirm('hj#realtime', 20);
    outbox.confirm('hj#realtime-backlog', 10);
    const settings = new UplinkSettingsStore({ db });
    settings.set('hj', 'backlog.realtime', [{ from: 0, to: 10 }]);
    const [done] = backlogReport(db, [hj212('hj', ['realtime'])]).lines;
    expect(done).toMatchObject({ depth: 0, resend: 0, oldestTs: null });
    settings.set('hj', 'backlog.realtime', { not: 'a list' });
    outbox.confirm('hj#realtime-backlog', 10);
    const [odd] = backlogReport(db, [hj212('hj', ['realtime'])]).lines;
    expect(odd).toMatchObject({ depth: 0, resend: 0 });
  });
});

describe('formatAge', () => {
  it('formats ages with their two largest units', () => {
    expect(formatAge(500)).toBe('500ms');
    expect(formatAge(61_000)).toBe('1m 1s');
    expect(formatAge(3_600_000)).toBe('1h');
    expect(formatAge(3 * 86_400_000 + 4 * 3_600_000 + 5000)).toBe('3d 4h');
  });
});
