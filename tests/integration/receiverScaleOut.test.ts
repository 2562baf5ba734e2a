/**
 * Issue 18, scale-out: several `receiver --postgres` processes in one MQTT 5 shared-subscription
 * group, every bit of state in PostgreSQL. A receiver killed with SIGKILL while messages flow loses
 * nothing; a batch lost on the way to one member is found by the database gap check (whichever
 * receiver holds the lock) and closed with `resend` from the real agent.
 */
import { connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../../scripts/support/mosquitto.js';
import { startPostgres } from '../../scripts/support/postgres.js';
import { startDropProxy } from '../helpers/mqttDropProxy.js';
import { type ReceiverChild, sql, startReceiverCli, waitForCount } from '../helpers/receiverCli.js';
import { PREFIX, STATION, startSupervisedStation } from '../helpers/supervisedStation.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function receiver(args: string[]): Promise<ReceiverChild> {
  const rx = await startReceiverCli(args);
  cleanups.push(() => rx.stop());
  return rx;
}

const count = async (url: string, text: string) => Number((await sql<{ n: string }>(url, text))[0]!.n);

describe('receiver --postgres, scaled out', () => {
  it('loses nothing when a member of the group is killed with SIGKILL mid-flow and comes back', async () => {
    const b = await startMosquitto();
    cleanups.push(() => b.dispose());
    const db = await startPostgres();
    cleanups.push(() => db.dispose());
    const common = ['--url', b.url, '--postgres', db.url, '--prefix', 'load', '--share', 'archive'];
    const argsA = [...common, '--client-id', 'rx-a', '--connections', '2', '--no-gaps'];
    let a = await receiver(argsA);
    await receiver([...common, '--client-id', 'rx-b', '--connections', '2', '--no-gaps']);

    const stations = 20;
    const messagesPerStation = 30;
    const perMessage = 10;
    const total = stations * messagesPerStation * perMessage;
    const pub = connect(b.url, { protocolVersion: 5 });
    cleanups.push(() => pub.endAsync());
    await new Promise((r) => pub.once('connect', r));
    const publishAll = (async () => {
      for (let m = 0; m < messagesPerStation; m++) {
        for (let s = 0; s < stations; s++) {
          const seqs = Array.from({ length: perMessage }, (_, i) => m * perMessage + i + 1);
          const station = `ST${String(s).padStart(3, '0')}`;
          const batch = {
            v: 1,
            station,
            db: 'e'.repeat(32),
            seqFrom: seqs[0],
            seqTo: seqs.at(-1),
            historical: false,
            readings: seqs.map((seq) => ({
              seq,
              ts: new Date(Date.UTC(2026, 11, 1) + seq * 1000).toISOString(),
              device: 'd',
              channel: 'c',
              code: null,
              value: seq,
              unit: null,
              flag: 'N',
            })),
          };
          // Not awaited one by one: many in flight, as from many stations at once.
          void pub.publishAsync(`load/${station}/readings`, JSON.stringify(batch), { qos: 1 });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // Kill A while readings are flowing into the database.
    const deadline = Date.now() + 60_000;
    while ((await count(db.url, 'SELECT count(*) AS n FROM readings')) < total / 10) {
      if (Date.now() > deadline) throw new Error('no readings arrived');
      await new Promise((r) => setTimeout(r, 20));
    }
    a.proc.kill('SIGKILL');
    await new Promise((r) => a.proc.once('exit', r));
    const atKill = await count(db.url, 'SELECT count(*) AS n FROM readings');
    await publishAll;
    // What A held is not handed to B: without A the database stays short of the total.
    expect(await count(db.url, 'SELECT count(*) AS n FROM readings')).toBeLessThan(total);
    // mosquitto 2.0 keeps the dead member's unacknowledged messages (and its share of new ones) in
    // its persistent session: they arrive when the same client id connects again, as under systemd.
    a = await receiver(argsA);
    await waitForCount(db.url, 'SELECT count(*) AS n FROM readings', total, `all ${total} readings`);
    const perStream = await sql<{ station: string; n: string; lo: string; hi: string }>(
      db.url,
      'SELECT station, count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM readings GROUP BY station',
    );
    expect(perStream).toHaveLength(stations);
    for (const s of perStream) {
      expect([Number(s.n), Number(s.lo), Number(s.hi)]).toEqual([
        messagesPerStation * perMessage,
        1,
        messagesPerStation * perMessage,
      ]);
    }
    console.info(`SIGKILL at ${atKill}/${total} readings in the database; all ${total} there once after`);
  });

  it('closes a gap made by a batch lost on the way to one member with a resend from the database check', async () => {
    const b = await startMosquitto();
    cleanups.push(() => b.dispose());
    const db = await startPostgres();
    cleanups.push(() => db.dispose());
    const readingsTopic = `${PREFIX}/${STATION}/readings`;
    // The second readings batch the broker hands to member A never reaches it.
    const proxy = await startDropProxy(b.port, (topic, n) => topic === readingsTopic && n === 2);
    cleanups.push(() => proxy.close());
    const common = ['--postgres', db.url, '--prefix', PREFIX, '--share', 'archive', '--gap-grace', '1000'];
    await receiver(['--url', proxy.url, ...common, '--client-id', 'gap-a', '--connections', '1']);
    await receiver(['--url', b.url, ...common, '--client-id', 'gap-b', '--connections', '1']);

    const st = await startSupervisedStation(b.url, {
      allow: ['ping', 'status', 'resend'],
      interval: '200ms',
      maxReadings: 5,
    });
    cleanups.push(() => st.close());

    const deadline = Date.now() + 90_000;
    const state = async () => ({
      dropped: proxy.dropped.length,
      asked: await count(db.url, 'SELECT count(*) AS n FROM resend_requests'),
      replied: await count(db.url, 'SELECT count(*) AS n FROM resend_requests WHERE reply_status = 200'),
      closed: await count(db.url, 'SELECT count(*) AS n FROM gaps WHERE closed_at IS NOT NULL'),
      open: await count(db.url, 'SELECT count(*) AS n FROM gaps WHERE closed_at IS NULL'),
    });
    let s = await state();
    while (!(s.dropped === 1 && s.asked > 0 && s.replied > 0 && s.closed > 0 && s.open === 0)) {
      if (Date.now() > deadline) throw new Error(`gap not closed: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 250));
      s = await state();
    }
    await st.supervisor.stop();

    const [r] = await sql<{ n: string; lo: string; hi: string }>(
      db.url,
      'SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM readings',
    );
    // Every seq from the first to the last, each once (the key makes twice impossible; the count
    // proves the hole was filled).
    expect(Number(r!.lo)).toBe(1);
    expect(Number(r!.n)).toBe(Number(r!.hi));
    const [gap] = await sql<{ from_seq: string; to_seq: string; asks: number }>(
      db.url,
      'SELECT from_seq, to_seq, asks FROM gaps ORDER BY first_seen LIMIT 1',
    );
    expect(Number(gap!.to_seq)).toBeLessThan(Number(r!.hi));
    const [req] = await sql<{ asked_by: string; reply_status: number }>(
      db.url,
      'SELECT asked_by, reply_status FROM resend_requests LIMIT 1',
    );
    expect(['gap-a', 'gap-b']).toContain(req!.asked_by);
    console.info(`gap ${gap!.from_seq}..${gap!.to_seq} closed by a resend asked by ${req!.asked_by}`);
  });
});
