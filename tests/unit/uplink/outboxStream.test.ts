import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../../agent/uplink/batchTracker.js';
import { OutboxPump } from '../../../agent/uplink/outboxPump.js';
import type { OutboxSource } from '../../../agent/uplink/outboxSource.js';
import { OutboxStream } from '../../../agent/uplink/outboxStream.js';
import { ManualClock, settle } from './fakeMqtt.js';

interface Row {
  id: number;
}

/** A source with no SQLite behind it: the stream machinery needs only the OutboxSource contract. */
class MemorySource implements OutboxSource<Row> {
  rows: Row[] = [];
  failReads = false;
  private last = 0;
  private listeners = new Set<(rows: readonly Row[]) => void>();
  commit(n: number): void {
    const added = Array.from({ length: n }, () => ({ id: ++this.last }));
    this.rows.push(...added);
    for (const fn of this.listeners) fn(added);
  }
  readAfter(seq: number, limit: number): Row[] {
    if (this.failReads) throw new Error('disk I/O error');
    return this.rows.filter((r) => r.id > seq).slice(0, limit);
  }
  lastSeq = () => this.last;
  countAfter = (seq: number) => this.rows.filter((r) => r.id > seq).length;
  onCommitted(fn: (rows: readonly Row[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  seqOf = (r: Row) => r.id;
}

/** A transport that records each batch and lets the test confirm or lose it. */
interface Pending {
  stream: string;
  ids: number[];
  confirm: () => void;
  lose: (err: Error) => void;
}

describe('OutboxStream + OutboxPump with any transport', () => {
  let clock: ManualClock;
  let saved: Map<string, number>;
  let sent: Pending[];
  let failures: { stream: string; batch: Batch }[];
  let logs: Record<string, unknown>[];

  const cursors = {
    cursor: (key: string) => saved.get(key) ?? 0,
    confirm: (key: string, seq: number) => {
      saved.set(key, Math.max(saved.get(key) ?? 0, seq));
      return saved.get(key)!;
    },
  };
  const stream = (name: string, source: MemorySource, maxInFlight = 1) =>
    new OutboxStream<Row>({
      name,
      cursorKey: `up#${name}`,
      source,
      cursors,
      batch: { maxRows: 2, maxDelay: 100 },
      maxInFlight,
      clock,
      log: pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
      send: (rows) =>
        new Promise((confirm, lose) =>
          sent.push({ stream: name, ids: rows.map((r) => r.id), confirm: () => confirm(undefined), lose }),
        ),
    });
  const pumpOf = (...streams: OutboxStream<Row>[]) =>
    new OutboxPump({ streams, clock, onFailed: (s, batch) => failures.push({ stream: s, batch }) });

  beforeEach(() => {
    clock = new ManualClock();
    saved = new Map();
    sent = [];
    failures = [];
    logs = [];
  });

  it('starts from the persisted cursor and confirms under its own key', async () => {
    saved.set('up#a', 1);
    const src = new MemorySource();
    src.commit(3);
    const a = stream('a', src);
    const pump = pumpOf(a);
    pump.start();
    expect(pump.open()).toEqual({ a: 1 });
    pump.pump();
    expect(sent.map((s) => s.ids)).toEqual([[2, 3]]);
    sent[0]!.confirm();
    await settle();
    expect(saved.get('up#a')).toBe(3);
    expect(a.stats()).toMatchObject({ cursor: 3, backlog: 0, confirmed: 2, oldestUnsentTs: null });
  });

  it('ignores confirmations and failures that arrive after the connection closed', async () => {
    const src = new MemorySource();
    const a = stream('a', src);
    const pump = pumpOf(a);
    pump.start();
    pump.open();
    src.commit(2);
    const [first] = sent;
    pump.close();
    first!.confirm();
    await settle();
    expect(saved.get('up#a')).toBeUndefined();
    expect(a.stats().confirmed).toBe(0);
    pump.open();
    pump.pump();
    sent[0]!.lose(new Error('late'));
    sent[1]!.lose(new Error('current'));
    await settle();
    expect(failures).toHaveLength(1);
    expect(failures[0]!.stream).toBe('a');
  });

  it('a partial batch waits for maxDelay; one timer serves every stream', async () => {
    const sa = new MemorySource();
    const sb = new MemorySource();
    const pump = pumpOf(stream('a', sa), stream('b', sb));
    pump.start();
    pump.open();
    sa.commit(1);
    await clock.advance(50);
    sb.commit(1);
    await clock.advance(50);
    expect(sent.map((s) => s.stream)).toEqual(['a']);
    await clock.advance(50);
    expect(sent.map((s) => s.stream)).toEqual(['a', 'b']);
  });

  it('retries a failed store read after a second', async () => {
    const src = new MemorySource();
    src.commit(2);
    const pump = pumpOf(stream('a', src));
    pump.start();
    pump.open();
    src.failReads = true;
    pump.pump();
    expect(logs.some((l) => l.stream === 'a' && l.msg === 'uplink could not read the store; retrying')).toBe(
      true,
    );
    src.failReads = false;
    await clock.advance(999);
    expect(sent).toHaveLength(0);
    await clock.advance(1);
    expect(sent).toHaveLength(1);
  });

  it('moves the cursor past rows deleted before they were sent', () => {
    const src = new MemorySource();
    src.commit(3);
    src.rows = [];
    const pump = pumpOf(stream('a', src));
    pump.start();
    pump.open();
    pump.pump();
    expect(sent).toHaveLength(0);
    expect(saved.get('up#a')).toBe(3);
  });

  it('drained() resolves once every stream is confirmed, or when the connection closes', async () => {
    const sa = new MemorySource();
    const sb = new MemorySource();
    sa.commit(2);
    sb.commit(2);
    const pump = pumpOf(stream('a', sa), stream('b', sb));
    pump.start();
    pump.open();
    pump.pump();
    let drained = false;
    void pump.drained().then(() => {
      drained = true;
    });
    sent[0]!.confirm();
    await settle();
    expect(drained).toBe(false);
    sent[1]!.confirm();
    await settle();
    expect(drained).toBe(true);
    sa.commit(2);
    const again = pump.drained();
    pump.close();
    await expect(again).resolves.toBeUndefined();
  });
});
