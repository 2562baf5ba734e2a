import { describe, expect, it } from 'vitest';
import { TransactionQueue } from '../../../drivers/serial/transactionQueue.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('TransactionQueue', () => {
  it('runs one job at a time, in arrival order', async () => {
    const q = new TransactionQueue();
    const started: number[] = [];
    const gates = [deferred<number>(), deferred<number>(), deferred<number>()];
    const results = gates.map((g, i) =>
      q.run(() => {
        started.push(i);
        return g.promise;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0]);
    expect(q.running).toBe(true);
    expect(q.pending).toBe(2);
    gates[1]!.resolve(1); // finishing out of order does not let job 1 jump ahead
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0]);
    gates[0]!.resolve(0);
    await results[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[2]!.resolve(2);
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
    expect(q.running).toBe(false);
  });

  it('carries on after a job rejects or throws synchronously', async () => {
    const q = new TransactionQueue();
    const a = q.run(() => Promise.reject(new Error('a')));
    const b = q.run(() => {
      throw new Error('b');
    });
    const c = q.run(async () => 'c');
    await expect(a).rejects.toThrow('a');
    await expect(b).rejects.toThrow('b');
    expect(await c).toBe('c');
  });
});
