import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../../agent/core/clock.js';

export { uplinkConfig } from '../../helpers/mqttUplinkConfig.js';

/** Lets pending promise callbacks (acks, failures) run. */
export const settle = () => new Promise<void>((r) => setImmediate(r));

/** A clock whose time only moves when the test says so. */
export class ManualClock implements Clock {
  private t = 0;
  private nextId = 0;
  private timers: { at: number; fn: () => void; handle: TimerHandle }[] = [];
  now = () => Date.UTC(2026, 10, 28) + this.t;
  monotonic = () => this.t;
  setTimeout = (fn: () => void, ms: number): TimerHandle => {
    const handle = { id: this.nextId++ };
    this.timers.push({ at: this.t + ms, fn, handle });
    return handle;
  };
  clearTimeout = (h: TimerHandle) => {
    this.timers = this.timers.filter((x) => x.handle !== h);
  };
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = target;
  }
}

export interface Sent {
  topic: string;
  payload: string;
  opts: { qos?: number; retain?: boolean };
  ack: () => void;
  fail: (err: Error) => void;
}

/** Stands in for an mqtt.js client: the test decides when it connects, acks or drops. */
export class FakeClient extends EventEmitter {
  sent: Sent[] = [];
  ended = false;
  constructor(readonly opts: Record<string, unknown>) {
    super();
  }
  publishAsync(topic: string, payload: string, opts: Sent['opts']): Promise<void> {
    return new Promise((resolve, reject) =>
      this.sent.push({ topic, payload, opts, ack: resolve, fail: reject }),
    );
  }
  subscriptions: string[] = [];
  /** The uplink subscribes to its command topic on every connect. */
  subscribeAsync(topic: string): Promise<unknown[]> {
    this.subscriptions.push(topic);
    return Promise.resolve([]);
  }
  end(): this {
    if (!this.ended) {
      this.ended = true;
      this.emit('close');
    }
    return this;
  }
  endAsync(): Promise<void> {
    this.end();
    return Promise.resolve();
  }
  readings(): Sent[] {
    return this.sent.filter((s) => s.topic.endsWith('/readings'));
  }
  aggregates(): Sent[] {
    return this.sent.filter((s) => s.topic.endsWith('/aggregates'));
  }
  /** Seqs of the i-th readings batch. */
  seqs(i: number): number[] {
    return (JSON.parse(this.readings()[i]!.payload) as { readings: { seq: number }[] }).readings.map(
      (r) => r.seq,
    );
  }
  /** Batches on the data topics (status excluded), in publish order, as "readings:1-3" / "aggregates:2". */
  order(): string[] {
    return this.sent
      .filter((s) => !s.topic.endsWith('/status'))
      .map((s) => {
        const kind = s.topic.split('/').at(-1)!;
        const rows = (JSON.parse(s.payload) as Record<string, unknown[]>)[kind]!;
        return `${kind}:${rows.length}`;
      });
  }
}
