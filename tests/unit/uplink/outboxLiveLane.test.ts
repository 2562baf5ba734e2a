import { beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../agent/core/log.js';
import { OutboxPump } from '../../../agent/uplink/outboxPump.js';
import type { OutboxSource } from '../../../agent/uplink/outboxSource.js';
import { OutboxStream } from '../../../agent/uplink/outboxStream.js';
import { ManualClock, settle } from './fakeMqtt.js';

interface Row {
  id: number;
}

/** Rows in memory: the lanes need only the OutboxSource contract. */
class MemorySource implements OutboxSource<Row> {
  rows: Row[] = [];
  private last = 0;
  private listeners = new Set<(rows: readonly Row[]) => void>();
  commit(n: number): void {
    const added = Array.from({ length: n }, () => ({ id: ++this.last }));
    this.rows.push(...added);
    for (const fn of this.listeners) fn(added);
  }
  readAfter = (seq: number, limit: number) => this.rows.filter((r) => r.id > seq).slice(0, limit);
  lastSeq = () => this.last;
  countAfter = (seq: number) => this.rows.filter((r) => r.id > seq).length;
  onCommitted(fn: (rows: readonly Row[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  seqOf = (r: Row) => r.id;
}

interface Pending {
  ids: number[];
  confirm: () => void;
}

describe('OutboxStream live lane', () => {
  let clock: ManualClock;
  let saved: number;
  let sent: Pending[];
  let src: MemorySource;
  let stream: OutboxStream<Row>;
  let pump: OutboxPump;

  beforeEach(() => {
    clock = new ManualClock();
    saved = 0;
    sent = [];
    src = new MemorySource();
    stream = new OutboxStream<Row>({
      name: 'readings',
      cursorKey: 'up',
      source: src,
      cursors: {
        cursor: () => saved,
        confirm: (_key, seq) => {
          saved = Math.max(saved, seq);
          return saved;
        },
      },
      batch: { maxRows: 2, maxDelay: 100 },
      maxInFlight: 1,
      liveLane: true,
      clock,
      log: silentLogger(),
      send: (rows) =>
        new Promise((confirm) =>
          sent.push({ ids: rows.map((r) => r.id), confirm: () => confirm(undefined) }),
        ),
    });
    pump = new OutboxPump({ streams: [stream], clock, onFailed: () => {} });
  });

  const ids = () => sent.map((s) => s.ids);

  it('sends readings committed after connecting beside the backlog, not behind it', async () => {
    src.commit(6); // backlog 1..6
    pump.start();
    pump.open();
    pump.pump();
    expect(ids()).toEqual([[1, 2]]); // one slot per lane: the backlog lane is full
    src.commit(2); // live 7..8: a full batch, due at once
    expect(ids()).toEqual([
      [1, 2],
      [7, 8],
    ]);
    // The live batch is confirmed first: the cursor must not skip the backlog still unconfirmed.
    sent[1]!.confirm();
    await settle();
    expect(saved).toBe(0);
    expect(stream.stats()).toMatchObject({ cursor: 0, inFlight: 1 });
    for (let i = 0; i < 3; i++) {
      sent[sent.length - (i === 0 ? 2 : 1)]!.confirm();
      await settle();
    }
    expect(ids()).toEqual([
      [1, 2],
      [7, 8],
      [3, 4],
      [5, 6],
    ]);
    // Backlog confirmed through 6, live through 8: the cursor takes both.
    expect(saved).toBe(8);
    expect(stream.stats()).toMatchObject({ cursor: 8, backlog: 0, inFlight: 0 });
  });

  it('after a reconnect resends everything after the persisted cursor, live rows included', async () => {
    src.commit(4);
    pump.start();
    pump.open();
    pump.pump();
    src.commit(2); // live 5..6
    expect(ids()).toEqual([
      [1, 2],
      [5, 6],
    ]);
    sent[0]!.confirm();
    sent[1]!.confirm();
    await settle();
    expect(ids()).toEqual([
      [1, 2],
      [5, 6],
      [3, 4],
    ]);
    expect(saved).toBe(2);
    pump.close(); // [3, 4] is lost with the connection
    sent = [];
    pump.open(); // cursor 2: 3..6 is the new backlog, live starts after 6
    pump.pump();
    expect(ids()).toEqual([[3, 4]]);
    sent[0]!.confirm();
    await settle();
    expect(ids()).toEqual([
      [3, 4],
      [5, 6],
    ]);
    sent[1]!.confirm();
    await settle();
    expect(saved).toBe(6);
  });

  it('without a backlog at connect runs one lane, batched by maxDelay as before', async () => {
    pump.start();
    pump.open();
    src.commit(1);
    pump.pump();
    expect(ids()).toEqual([]);
    await clock.advance(100);
    expect(ids()).toEqual([[1]]);
    sent[0]!.confirm();
    await settle();
    expect(saved).toBe(1);
  });
});
