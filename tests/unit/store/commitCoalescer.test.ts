import { afterEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { NewReading, StoredReading } from '../../../agent/core/reading.js';
import { BufferedAppender } from '../../../agent/store/bufferedAppender.js';
import { CommitCoalescer, type GroupSink } from '../../../agent/store/commitCoalescer.js';
import { FakeClock, flush } from '../../helpers/fakeClock.js';
import { type BudgetRig, budgetRig, contiguous, reading } from './storeBudgetFixture.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

/** A real SQLite file behind the real BufferedAppender, as the agent wires it; commits seen by a listener. */
function realRig(windowMs: number, maxReadings?: number) {
  const rig: BudgetRig = budgetRig();
  cleanups.push(() => rig.close());
  const clock = new FakeClock();
  const appender = new BufferedAppender({
    store: rig.readings,
    budget: rig.budget(),
    clock,
    log: silentLogger(),
  });
  const commits: StoredReading[][] = [];
  rig.readings.onCommitted((r) => commits.push([...r]));
  const coalescer = new CommitCoalescer({
    sink: appender,
    clock,
    windowMs,
    log: silentLogger(),
    ...(maxReadings !== undefined ? { maxReadings } : {}),
  });
  return { rig, clock, coalescer, commits };
}

/** One poll's readings of one device. */
const poll = (device: string, from: number, n = 2): NewReading[] =>
  Array.from({ length: n }, (_, k) => reading(from + k, k % 2 ? 'tn' : 'cod', { device }));

/** Settles each promise into 'ok' or its error code, without leaving a rejection unhandled. */
function outcomes(promises: Promise<void>[]): string[] {
  const out: string[] = promises.map(() => 'pending');
  promises.forEach((p, i) => {
    p.then(
      () => {
        out[i] = 'ok';
      },
      (err: unknown) => {
        out[i] = err instanceof AgentError ? err.code : String(err);
      },
    );
  });
  return out;
}

describe('CommitCoalescer', () => {
  it('commits the polls of one window in one transaction, in append order, when the window closes', async () => {
    const { rig, clock, coalescer, commits } = realRig(100);
    const settled = outcomes([coalescer.append(poll('nutrient', 0)), coalescer.append(poll('sonde', 10, 3))]);
    await clock.advance(60);
    const late = outcomes([coalescer.append(poll('nutrient', 2))]); // same window: it opened at 0
    await clock.advance(39);
    // Nothing is stored, nobody has heard of these readings, no seq is taken.
    expect(commits).toEqual([]);
    expect(rig.readings.lastSeq()).toBe(0);
    expect(settled).toEqual(['pending', 'pending']);
    expect(coalescer.queued).toBe(7);

    await clock.advance(1);
    expect(commits).toHaveLength(1);
    expect(commits[0]!.map((r) => `${r.seq} ${r.device}/${r.channel}`)).toEqual([
      '1 nutrient/cod',
      '2 nutrient/tn',
      '3 sonde/cod',
      '4 sonde/tn',
      '5 sonde/cod',
      '6 nutrient/cod',
      '7 nutrient/tn',
    ]);
    expect([...settled, ...late]).toEqual(['ok', 'ok', 'ok']);
    expect(coalescer.queued).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('opens a new window with the first append after a commit', async () => {
    const { clock, coalescer, commits } = realRig(100);
    void coalescer.append(poll('nutrient', 0));
    await clock.advance(100);
    void coalescer.append(poll('nutrient', 2));
    await clock.advance(99);
    expect(commits).toHaveLength(1);
    await clock.advance(1);
    expect(commits.map((c) => c.map((r) => r.seq))).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('commits at once when the queue reaches its size bound', async () => {
    const { clock, coalescer, commits } = realRig(100, 5);
    const first = coalescer.append(poll('nutrient', 0, 3));
    expect(commits).toEqual([]);
    const second = coalescer.append(poll('sonde', 10, 3));
    expect(commits.map((c) => c.length)).toEqual([6]);
    const settled = outcomes([first, second]);
    expect(clock.pendingTimers()).toBe(0); // the window's timer went with the commit
    await flush();
    expect(settled).toEqual(['ok', 'ok']);
  });

  it('with a window of 0 commits every append at once, as before group commit', async () => {
    const { clock, coalescer, commits } = realRig(0);
    const settled = outcomes([coalescer.append(poll('nutrient', 0)), coalescer.append(poll('sonde', 10))]);
    expect(commits.map((c) => c.map((r) => r.seq))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(clock.pendingTimers()).toBe(0);
    await flush();
    expect(settled).toEqual(['ok', 'ok']);
  });

  it('flush() and stop() commit what is queued; after stop() every append commits at once', async () => {
    const { rig, clock, coalescer, commits } = realRig(100);
    void coalescer.append(poll('nutrient', 0));
    coalescer.flush();
    expect(commits.map((c) => c.length)).toEqual([2]);
    void coalescer.append(poll('nutrient', 2));
    coalescer.stop();
    expect(commits.map((c) => c.length)).toEqual([2, 2]);
    expect(clock.pendingTimers()).toBe(0);
    void coalescer.append(poll('nutrient', 4));
    expect(commits.map((c) => c.length)).toEqual([2, 2, 2]);
    expect(contiguous(rig.seqs())).toBe(true);
    coalescer.flush(); // nothing queued: no empty transaction, no error
    expect(commits).toHaveLength(3);
  });

  it('a group that fails is retried poll by poll: only the poll at fault loses its readings', async () => {
    const { rig, clock, coalescer, commits } = realRig(100);
    const bad = poll('sonde', 10);
    bad[1] = { ...bad[1]!, ts: Number.NaN }; // a caller's bug: the store refuses the whole batch
    const settled = outcomes([
      coalescer.append(poll('nutrient', 0)),
      coalescer.append(bad),
      coalescer.append(poll('nutrient', 2)),
    ]);
    await clock.advance(100);
    expect(settled).toEqual(['ok', 'STORE_FAILED', 'ok']);
    expect(commits.map((c) => c.map((r) => `${r.seq} ${r.device}`))).toEqual([
      ['1 nutrient', '2 nutrient'],
      ['3 nutrient', '4 nutrient'],
    ]);
    expect(contiguous(rig.seqs())).toBe(true);
  });

  it('reports a failure to every poll of the group when every retry fails too', async () => {
    const appended: number[] = [];
    const sink: GroupSink = {
      append: (r) => {
        appended.push(r.length);
        throw new AgentError('STORE_FAILED', 'disk I/O error');
      },
      stats: () => ({ queued: 0, dropped: 0 }),
    };
    const clock = new FakeClock();
    const coalescer = new CommitCoalescer({ sink, clock, windowMs: 50, log: silentLogger() });
    const settled = outcomes([coalescer.append(poll('nutrient', 0)), coalescer.append(poll('sonde', 10, 3))]);
    await clock.advance(50);
    expect(settled).toEqual(['STORE_FAILED', 'STORE_FAILED']);
    expect(appended).toEqual([5, 2, 3]); // the group, then each poll once
  });

  it('does not append again what the appender kept in its queue (a full store): no duplicate', async () => {
    const appended: number[] = [];
    const sink: GroupSink = {
      // As BufferedAppender does while readings wait for room: the batch joins its queue, then flushing it fails.
      append: (r) => {
        appended.push(r.length);
        throw new AgentError('STORE_FAILED', 'disk I/O error');
      },
      stats: () => ({ queued: 40, dropped: 0 }),
    };
    const clock = new FakeClock();
    const coalescer = new CommitCoalescer({ sink, clock, windowMs: 50, log: silentLogger() });
    const settled = outcomes([coalescer.append(poll('nutrient', 0)), coalescer.append(poll('sonde', 10))]);
    await clock.advance(50);
    expect(settled).toEqual(['STORE_FAILED', 'STORE_FAILED']);
    expect(appended).toEqual([4]);
  });

  it('an empty poll resolves at once and opens no window', async () => {
    const { clock, coalescer, commits } = realRig(100);
    const settled = outcomes([coalescer.append([])]);
    await flush();
    expect(settled).toEqual(['ok']);
    expect(clock.pendingTimers()).toBe(0);
    expect(commits).toEqual([]);
  });
});
