import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { EventStore, type StoredEvent } from '../../../agent/store/eventStore.js';
import { openDatabase } from '../../../agent/store/openDatabase.js';

/** The event store as an outbox source: ids, counts and commit notifications, wherever events come from. */
describe('EventStore as a forwarded table', () => {
  let db: ReturnType<typeof openDatabase>;
  let events: EventStore;
  let heard: number[][];

  beforeEach(() => {
    db = openDatabase({ path: ':memory:', log: silentLogger() });
    events = new EventStore({ db });
    heard = [];
    events.onCommitted((rows: readonly StoredEvent[]) => heard.push(rows.map((e) => e.id)));
  });
  afterEach(() => db.close());

  it('tells listeners of each event recorded, with its id, at once', () => {
    expect(events.lastId()).toBe(0);
    const a = events.record(1000, { kind: 'link-lost', bus: 'rs485' });
    const b = events.record(2000, { kind: 'link-restored', bus: 'rs485', downMs: 1000 });
    expect(heard).toEqual([[a], [b]]);
    expect(events.lastId()).toBe(b);
    expect(events.countAfter(0)).toBe(2);
    expect(events.countAfter(a)).toBe(1);
    expect(events.readAfter(a, 10)).toEqual([
      { id: b, ts: 2000, event: { kind: 'link-restored', bus: 'rs485', downMs: 1000 } },
    ]);
  });

  it('lastId stays at the highest id ever given after the row is gone (AUTOINCREMENT)', () => {
    const id = events.record(1, { kind: 'x' });
    db.prepare('DELETE FROM events').run();
    expect(events.lastId()).toBe(id);
    expect(events.countAfter(0)).toBe(0);
  });

  it('an event recorded inside a transaction is told once that transaction committed', async () => {
    let id = 0;
    db.transaction(() => {
      id = events.record(1, { kind: 'data-loss', count: 3 });
      expect(heard).toEqual([]);
    })();
    expect(heard).toEqual([]);
    await Promise.resolve();
    expect(heard).toEqual([[id]]);
  });

  it('an event rolled back with its transaction is never told (its id may be given again)', async () => {
    expect(() =>
      db.transaction(() => {
        events.record(1, { kind: 'data-loss', count: 3 });
        throw new Error('eviction failed');
      })(),
    ).toThrow('eviction failed');
    await Promise.resolve();
    expect(heard).toEqual([]);
    expect(events.lastId()).toBe(0);
  });

  it("a listener's bug does not fail the recording, nor starve the other listeners", () => {
    const other: number[] = [];
    events.onCommitted(() => {
      throw new Error('bug');
    });
    events.onCommitted((rows) => other.push(...rows.map((r) => r.id)));
    const id = events.record(1, { kind: 'x' });
    expect(other).toEqual([id]);
  });

  it('unsubscribing stops the notifications', () => {
    const seen: number[] = [];
    const off = events.onCommitted((rows) => seen.push(rows.length));
    events.record(1, { kind: 'x' });
    off();
    events.record(2, { kind: 'x' });
    expect(seen).toEqual([1]);
  });
});
