import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../agent/store/eventStore.js';
import type { BirthInfo } from '../../../agent/uplink/birthPayload.js';
import { encodeBirthPayload } from '../../../agent/uplink/birthPayload.js';
import {
  EVENTS_PAYLOAD_VERSION,
  encodeEventsPayload,
  eventsTopic,
} from '../../../agent/uplink/eventsPayload.js';
import { loadSchema, validateAgainst } from '../../helpers/jsonSchemaCheck.js';

const DB = '5f0c2a9e41d7b3c8a6e0f1d2c3b4a596';
const events = loadSchema('events.schema.json');
const birth = loadSchema('birth.schema.json');

const setAside: StoredEvent = {
  id: 1,
  ts: Date.UTC(2026, 10, 29, 2, 15),
  event: {
    kind: 'store-set-aside',
    file: '/var/lib/station-agent/agent.db.corrupt-20261129T021500Z',
    reason: 'SQLITE_NOTADB: file is not a database',
    size: 4096,
  } as StoredEvent['event'],
};

/** One of each kind the agent records today. */
const everyKind: StoredEvent[] = [
  setAside,
  { id: 2, ts: 0, event: { kind: 'config-applied', configHash: 'a'.repeat(64), devices: 2 } as never },
  { id: 3, ts: 0, event: { kind: 'link-lost', bus: 'rs485' } as never },
  { id: 5, ts: 0, event: { kind: 'link-restored', bus: 'rs485', downMs: 1200 } as never },
  {
    id: 6,
    ts: 0,
    event: { kind: 'clock-jump', from: 1, to: 60_001, deltaMs: 60_000, atStart: true } as never,
  },
  { id: 7, ts: 0, event: { kind: 'data-loss', table: 'readings', count: 10 } as never },
  {
    id: 1101,
    ts: 0,
    event: {
      kind: 'store-seqs-skipped',
      reason: 'unclean-stop',
      readings: { from: 31, to: 1000 },
      aggregates: null,
      events: { from: 8, to: 1100 },
    } as never,
  },
  {
    id: 1102,
    ts: 0,
    event: {
      kind: 'facility-alarm-start',
      production: 'line1',
      productionName: '1号生产线',
      treatment: 'wwtp',
      treatmentName: null,
      fault: 'stopped',
      since: 1_000,
      productionPower: 42.5,
      treatmentPower: 0,
    } as never,
  },
  {
    id: 1103,
    ts: 0,
    event: {
      kind: 'facility-alarm-end',
      production: 'line1',
      treatment: 'wwtp',
      since: 1_000,
      reason: 'treatment-resumed',
      productionPower: 42.5,
      treatmentPower: 12,
    } as never,
  },
];

describe('events payload', () => {
  it('is exactly the documented JSON: envelope, then id, ts, kind and the event fields', () => {
    expect(encodeEventsPayload('320700W001', DB, [setAside])).toBe(
      `{"v":1,"station":"320700W001","db":"${DB}","events":[{"id":1,"ts":"2026-11-29T02:15:00.000Z",` +
        '"kind":"store-set-aside","file":"/var/lib/station-agent/agent.db.corrupt-20261129T021500Z",' +
        '"reason":"SQLITE_NOTADB: file is not a database","size":4096}]}',
    );
    expect(EVENTS_PAYLOAD_VERSION).toBe(1);
    expect(eventsTopic('stations', '320700W001')).toBe('stations/320700W001/events');
  });

  it('an event field named like an envelope field is renamed, never hides the envelope', () => {
    const [e] = JSON.parse(
      encodeEventsPayload('s', DB, [{ id: 9, ts: 0, event: { kind: 'x', id: 'mine', ts: 5 } as never }]),
    ).events;
    expect(e).toEqual({ id: 9, ts: '1970-01-01T00:00:00.000Z', kind: 'x', data_id: 'mine', data_ts: 5 });
  });

  it('validates against docs/schemas/events.schema.json for every kind the agent records', () => {
    const payload = JSON.parse(encodeEventsPayload('320700W001', DB, everyKind));
    expect(validateAgainst(events, payload)).toEqual([]);
  });

  it('the schema check is not vacuous', () => {
    const good = JSON.parse(encodeEventsPayload('s', DB, [setAside]));
    const e = good.events[0];
    for (const bad of [
      { ...good, v: 2 },
      { ...good, db: 'not-hex' },
      { ...good, events: [] },
      { ...good, events: [{ ...e, id: 0 }] },
      { ...good, events: [{ ...e, ts: '2026-11-29T02:15:00Z' }] },
      { ...good, events: [{ ...e, size: undefined }] },
      { ...good, events: [{ ...e, file: 7 }] },
      { ...good, extra: 1 },
      { ...good, events: [{ id: 2, ts: e.ts, kind: 'store-seqs-skipped', reason: 'unclean-stop' }] },
      {
        ...good,
        events: [
          {
            id: 2,
            ts: e.ts,
            kind: 'store-seqs-skipped',
            reason: 'unclean-stop',
            readings: { from: 'x', to: 3 },
            aggregates: null,
            events: null,
          },
        ],
      },
    ]) {
      expect(validateAgainst(events, JSON.parse(JSON.stringify(bad)))).not.toEqual([]);
    }
  });
});

describe('birth payload', () => {
  const info: BirthInfo = {
    agentVersion: '0.1.0',
    configVersion: 1,
    configHash: 'c'.repeat(64),
    db: DB,
    devices: [{ id: 'd', bus: 'b', interval: 500, channels: [{ id: 'c', code: 'w01018', unit: 'mg/L' }] }],
  };

  it('carries the store identity as db and validates against docs/schemas/birth.schema.json', () => {
    const text = encodeBirthPayload('S1', info, { id: 'u', commands: ['ping'], backlog: 0, lastSeq: 3 }, 0);
    const payload = JSON.parse(text);
    expect(payload.db).toBe(DB);
    expect(validateAgainst(birth, payload)).toEqual([]);
    const { db: _, ...withoutDb } = payload;
    expect(validateAgainst(birth, withoutDb)).toContain('$: missing db');
  });
});
