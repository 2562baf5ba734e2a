/**
 * Issue 18, load at a quick size: 100 simulated stations replayed through a real mosquitto into two
 * `receiver --postgres` processes sharing one subscription, into a real PostgreSQL. JSON and
 * columnar-deflate batches mixed, every 7th batch delivered twice. Every reading lands once, the
 * repeats are counted as duplicates, and the database gap check finds nothing left open. The full
 * size (thousands of stations) is for a bench run, not the test suite.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { publishLoad } from '../../scripts/receiver/loadPublisher.js';
import { freePort } from '../../scripts/support/freePort.js';
import { startMosquitto } from '../../scripts/support/mosquitto.js';
import { startPostgres } from '../../scripts/support/postgres.js';
import { sql, startReceiverCli, waitForCount } from '../helpers/receiverCli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('receiver --postgres under load', () => {
  it('two receivers in a group take 100 stations, each reading once, repeats dropped', async () => {
    const b = await startMosquitto();
    cleanups.push(() => b.dispose());
    const db = await startPostgres();
    cleanups.push(() => db.dispose());
    const ports = [await freePort(), await freePort()];
    for (const [i, port] of ports.entries()) {
      const rx = await startReceiverCli([
        '--url',
        b.url,
        '--postgres',
        db.url,
        '--prefix',
        'fleet',
        '--share',
        'archive',
        '--client-id',
        `load-${i}`,
        '--connections',
        '4',
        '--metrics',
        `127.0.0.1:${port}`,
      ]);
      cleanups.push(() => rx.stop());
    }
    const stations = 100;
    const perStation = 10 * 20;
    const started = Date.now();
    const load = await publishLoad({
      url: b.url,
      prefix: 'fleet',
      stations,
      batchesPerStation: 10,
      perBatch: 20,
      encoding: 'mixed',
      repeatEvery: 7,
    });
    expect(load.repeats).toBeGreaterThan(0);
    await waitForCount(db.url, 'SELECT count(*) AS n FROM readings', load.readings, 'every reading');
    const seconds = (Date.now() - started) / 1000;

    const per = await sql<{ n: string; lo: string; hi: string }>(
      db.url,
      'SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM readings GROUP BY station, db',
    );
    expect(per).toHaveLength(stations);
    for (const p of per)
      expect([Number(p.n), Number(p.lo), Number(p.hi)]).toEqual([perStation, 1, perStation]);

    // Every repeat's readings were counted as duplicates by whichever receiver got it.
    const duplicates = async () =>
      (await Promise.all(ports.map((p) => metric(p, 'receiver_duplicates_dropped_total')))).reduce(
        (a, n) => a + n,
      );
    const deadline = Date.now() + 30_000;
    while ((await duplicates()) < load.repeats * 20) {
      if (Date.now() > deadline)
        throw new Error(`duplicates ${await duplicates()}, want ${load.repeats * 20}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await duplicates()).toBe(load.repeats * 20);
    // Both members took a share.
    for (const p of ports) {
      expect(await metric(p, 'receiver_rows_written_total{table="readings"}')).toBeGreaterThan(0);
    }
    // The gap check (one leader) has looked at every stream and found nothing open.
    await waitForCount(
      db.url,
      `SELECT count(*) AS n FROM streams WHERE contiguous_to = ${perStation}`,
      stations,
      'the gap check over every stream',
    );
    await waitForCount(db.url, 'SELECT count(*) AS n FROM gaps WHERE closed_at IS NULL', 0, 'no open gap');
    const leaders = (await Promise.all(ports.map((p) => metric(p, 'receiver_gap_check_leader')))).reduce(
      (a, n) => a + n,
    );
    expect(leaders).toBe(1);
    console.info(
      `${load.readings} readings in ${load.messages} messages (${load.repeats} repeats) from ${stations} stations: ` +
        `${Math.round(load.readings / seconds)} readings/s end to end on this machine`,
    );
  });
});
