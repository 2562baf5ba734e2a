import { describe, expect, it } from 'vitest';
import { encodeEventsPayload } from '../../../agent/uplink/eventsPayload.js';
import { ALARM_KINDS, describeAlarm, EventLog } from '../../../scripts/receiver/eventLog.js';

const DB_A = 'a'.repeat(32);
const DB_B = 'b'.repeat(32);
const batch = (db: string, ids: number[], kind = 'link-lost') =>
  JSON.parse(
    encodeEventsPayload(
      'S1',
      db,
      ids.map((id) => ({ id, ts: 0, event: { kind, bus: 'rs485' } })),
    ),
  );

describe('receiver event log', () => {
  it('drops duplicates by (station, db, id): a new db restarts ids and is not a duplicate', () => {
    const log = new EventLog();
    expect(log.accept(batch(DB_A, [1, 2]))?.fresh.map((e) => e.id)).toEqual([1, 2]);
    expect(log.accept(batch(DB_A, [2, 3]))).toMatchObject({ duplicates: 1, fresh: [{ id: 3 }] });
    expect(log.accept(batch(DB_B, [1]))?.fresh.map((e) => e.id)).toEqual([1]);
    expect(log.accepted.map((e) => `${e.db[0]}${e.id}`)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(log.duplicates).toBe(1);
  });

  it('ignores what is not an events batch', () => {
    const log = new EventLog();
    for (const bad of [null, 'x', {}, { station: 'S', db: DB_A, events: [{ id: 'one', kind: 'x' }] }]) {
      expect(log.accept(bad)).toBeNull();
    }
  });

  it('words the alarms for an operator', () => {
    expect([...ALARM_KINDS].sort()).toEqual(['data-loss', 'store-seqs-skipped', 'store-set-aside']);
    const line = describeAlarm('S1', {
      id: 1,
      ts: '2026-11-29T02:15:00.000Z',
      kind: 'store-set-aside',
      file: '/d/agent.db.corrupt-20261129T021500Z',
      reason: 'SQLITE_NOTADB: file is not a database',
      size: 4096,
    });
    expect(line).toMatch(/^ALARM station S1: .*agent\.db\.corrupt-20261129T021500Z.*seqs restart at 1/);
    expect(describeAlarm('S1', { id: 2, ts: 'x', kind: 'data-loss', count: 5 })).toMatch(
      /^ALARM .*data lost/,
    );
    expect(
      describeAlarm('S1', {
        id: 1101,
        ts: 'x',
        kind: 'store-seqs-skipped',
        reason: 'unclean-stop',
        readings: { from: 31, to: 1000 },
      }),
    ).toMatch(/^ALARM station S1: .*synchronous normal.*seqs 31\.\.1000 will never come/);
  });
});
