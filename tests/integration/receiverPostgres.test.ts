/**
 * Issue 18: the receiver's PostgreSQL sink, run as the user runs it (the built CLI, `--postgres`),
 * against a real mosquitto and a real PostgreSQL started for the test: duplicates never make a second
 * row, an aggregate sent again with new content keeps the newest, and events are kept once.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/support/freePort.js';
import { startMosquitto, until } from '../../scripts/support/mosquitto.js';
import { startPostgres } from '../../scripts/support/postgres.js';
import { sql, startReceiverCli, waitForCount } from '../helpers/receiverCli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const PREFIX = 'pgit';
const DB = 'd'.repeat(32);

async function publisher(url: string): Promise<MqttClient> {
  const c = connect(url, { protocolVersion: 5 });
  await new Promise((r) => c.once('connect', r));
  cleanups.push(() => c.endAsync());
  return c;
}

function readingsBatch(station: string, seqs: number[], value = 1.5) {
  return {
    v: 1,
    station,
    db: DB,
    seqFrom: seqs[0],
    seqTo: seqs.at(-1),
    historical: false,
    readings: seqs.map((seq) => ({
      seq,
      ts: new Date(Date.UTC(2026, 11, 1, 0, 0, seq)).toISOString(),
      device: 'nutrient',
      channel: 'cod',
      code: 'w01018',
      value,
      unit: 'mg/L',
      flag: 'N',
      qc: { gross: 1, range: 1, spike: 1, roc: 1, flat: 1 },
    })),
  };
}

/** The columnar-deflate encoding of a readings batch (docs/mqtt-contract.md, "Payload encodings"). */
function columnar(batch: ReturnType<typeof readingsBatch>): Buffer {
  const { readings, ...header } = batch;
  const doc = {
    enc: 'columnar',
    ev: 1,
    header,
    n: readings.length,
    channels: [['nutrient', 'cod', 'w01018', 'mg/L']],
    ch: readings.map(() => 0),
    seq: readings.map((r, i) => (i === 0 ? r.seq : r.seq - readings[i - 1]!.seq)),
    ts: readings.map((r, i) => {
      const t = Date.parse(r.ts);
      return i === 0 ? t : t - Date.parse(readings[i - 1]!.ts);
    }),
    value: readings.map((r) => r.value),
    runs: { flag: [[readings.length, 'N']] },
  };
  return Buffer.concat([Buffer.from([0x53, 0x41, 0x43, 0x01]), deflateRawSync(JSON.stringify(doc))]);
}

function aggregate(station: string, count: number, avg: number) {
  return {
    v: 1,
    station,
    db: DB,
    aggregates: [
      {
        device: 'nutrient',
        channel: 'cod',
        code: 'w01018',
        period: 'minute',
        start: '2026-12-01T00:00:00.000Z',
        end: '2026-12-01T00:01:00.000Z',
        min: 1,
        avg,
        max: 2,
        cou: null,
        count,
        valid: count,
        expected: 6,
        flag: 'N',
      },
    ],
  };
}

describe('receiver --postgres', () => {
  it('keeps each reading and event once and the newest aggregate, whatever is delivered twice', async () => {
    const b = await startMosquitto();
    cleanups.push(() => b.dispose());
    const db = await startPostgres();
    cleanups.push(() => db.dispose());
    const metricsPort = await freePort();
    const rx = await startReceiverCli([
      '--url',
      b.url,
      '--postgres',
      db.url,
      '--prefix',
      PREFIX,
      '--client-id',
      'rx-sink',
      '--metrics',
      `127.0.0.1:${metricsPort}`,
    ]);
    cleanups.push(() => rx.stop());
    const pub = await publisher(b.url);
    const t = (station: string, kind: string) => `${PREFIX}/${station}/${kind}`;

    await pub.publishAsync(t('S1', 'readings'), JSON.stringify(readingsBatch('S1', [1, 2, 3])), { qos: 1 });
    // At-least-once: the same batch again, and a resend overlapping it.
    await pub.publishAsync(t('S1', 'readings'), JSON.stringify(readingsBatch('S1', [1, 2, 3])), { qos: 1 });
    await pub.publishAsync(t('S1', 'readings'), JSON.stringify(readingsBatch('S1', [3, 4, 5])), { qos: 1 });
    // Another station, columnar-deflate, twice.
    await pub.publishAsync(t('S2', 'readings'), columnar(readingsBatch('S2', [1, 2])), { qos: 1 });
    await pub.publishAsync(t('S2', 'readings'), columnar(readingsBatch('S2', [1, 2])), { qos: 1 });
    // A minute record, recomputed with more samples, then the old version redelivered late.
    await pub.publishAsync(t('S1', 'aggregates'), JSON.stringify(aggregate('S1', 4, 1.2)), { qos: 1 });
    await pub.publishAsync(t('S1', 'aggregates'), JSON.stringify(aggregate('S1', 6, 1.4)), { qos: 1 });
    await pub.publishAsync(t('S1', 'aggregates'), JSON.stringify(aggregate('S1', 4, 1.2)), { qos: 1 });
    const events = {
      v: 1,
      station: 'S1',
      db: DB,
      events: [
        { id: 1, ts: '2026-12-01T00:00:00.000Z', kind: 'config-applied', configHash: 'x', devices: 1 },
        { id: 2, ts: '2026-12-01T00:00:01.000Z', kind: 'link-lost', bus: 'lan' },
      ],
    };
    await pub.publishAsync(t('S1', 'events'), JSON.stringify(events), { qos: 1 });
    await pub.publishAsync(t('S1', 'events'), JSON.stringify(events), { qos: 1 });
    // Not a batch at all: dropped, counted, and the receiver goes on.
    await pub.publishAsync(t('S1', 'readings'), 'not json', { qos: 1 });
    await pub.publishAsync(t('S1', 'readings'), JSON.stringify(readingsBatch('S1', [6])), { qos: 1 });

    await waitForCount(db.url, 'SELECT count(*) AS n FROM readings', 8, 'eight readings');
    await waitForCount(db.url, 'SELECT count(*) AS n FROM events', 2, 'two events');
    const readings = await sql<{ station: string; seq: string; value: number; qc: unknown }>(
      db.url,
      'SELECT station, seq, value, qc FROM readings ORDER BY station, seq',
    );
    expect(readings.map((r) => `${r.station}:${r.seq}`)).toEqual([
      'S1:1',
      'S1:2',
      'S1:3',
      'S1:4',
      'S1:5',
      'S1:6',
      'S2:1',
      'S2:2',
    ]);
    expect(readings[0]!.qc).toEqual({ gross: 1, range: 1, spike: 1, roc: 1, flat: 1 });
    expect(readings[6]!.value).toBe(1.5);
    // The aggregate's three copies have been handled once the metrics count them.
    const metricsText = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const deadline = Date.now() + 30_000;
    while (!(await metricsText()).includes('receiver_messages_total{kind="aggregates"} 3')) {
      if (Date.now() > deadline) throw new Error(`aggregates not all handled: ${await metricsText()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const aggs = await sql<{ count: number; avg: number }>(db.url, 'SELECT count, avg FROM aggregates');
    expect(aggs).toEqual([{ count: 6, avg: 1.4 }]);

    const text = await metricsText();
    expect(text).toMatch(/receiver_messages_malformed_total\{kind="readings"\} 1/);
    // 3 + 1 readings repeated, 2 columnar repeated, 2 events repeated, 1 stale aggregate.
    expect(text).toMatch(/receiver_duplicates_dropped_total 9/);
    expect(text).toMatch(/receiver_rows_written_total\{table="readings"\} 8/);

    const migrations = await sql<{ version: number }>(
      db.url,
      'SELECT version FROM schema_migrations ORDER BY 1',
    );
    expect(migrations.map((m) => m.version)).toEqual([1, 2, 3]);
    // The readings landed in a month partition made on demand.
    const parts = await sql<{ relname: string }>(
      db.url,
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'readings'::regclass`,
    );
    expect(parts.map((p) => p.relname)).toEqual(['readings_p202612']);

    // Every query of the Grafana dashboard runs on this schema (macros as Grafana expands them).
    const dashboard = JSON.parse(readFileSync('scripts/receiver/grafana/station-receiver.json', 'utf8')) as {
      panels: { title: string; targets: { rawSql?: string }[] }[];
      templating: { list: { query: string }[] };
    };
    const expand = (q: string) =>
      q
        .replaceAll('$__timeFilter(ts)', "ts BETWEEN '2026-11-30T00:00:00Z' AND '2026-12-02T00:00:00Z'")
        .replaceAll('$station', "'S1','S2'");
    const queries = dashboard.panels.flatMap((p) =>
      p.targets
        .filter((t) => t.rawSql !== undefined)
        .map((t) => ({ title: p.title, sql: expand(t.rawSql!) })),
    );
    expect(queries.length).toBeGreaterThan(5);
    for (const q of queries) {
      await sql(db.url, q.sql).catch((err: unknown) => {
        throw new Error(`dashboard panel "${q.title}": ${String(err)}`);
      });
    }
    const stations = await sql<{ station: string }>(db.url, dashboard.templating.list[0]!.query);
    expect(stations.map((s) => s.station)).toEqual(['S1', 'S2']);
    const series = await sql<{ metric: string }>(db.url, queries.find((q) => q.title === 'Values')!.sql);
    expect(series).toHaveLength(8);
  });
  it('asks for a resend of an unexplained gap, a bounded number of times; a gap the station reported lost is left alone', async () => {
    const b = await startMosquitto();
    cleanups.push(() => b.dispose());
    const db = await startPostgres();
    cleanups.push(() => db.dispose());
    const rx = await startReceiverCli([
      '--url',
      b.url,
      '--postgres',
      db.url,
      '--prefix',
      PREFIX,
      '--client-id',
      'rx-gaps',
      '--gap-grace',
      '300',
      '--resend-retry',
      '300',
      '--resend-max-asks',
      '3',
    ]);
    cleanups.push(() => rx.stop());
    const pub = await publisher(b.url);
    const asked: { topic: string; body: { id: string; from: string; to: string } }[] = [];
    pub.on('message', (topic, payload) => asked.push({ topic, body: JSON.parse(payload.toString()) }));
    await pub.subscribeAsync(`${PREFIX}/+/cmd/resend`, { qos: 1 });
    const t = (station: string, kind: string) => `${PREFIX}/${station}/${kind}`;
    // L: seqs 4..9 lost on the station, and it says so; G: seqs 4..6 missing, no word.
    const lost = {
      v: 1,
      station: 'L',
      db: DB,
      events: [
        {
          id: 1,
          ts: '2026-12-01T00:00:10.000Z',
          kind: 'data-loss',
          table: 'readings',
          device: 'nutrient',
          channel: 'cod',
          seqFrom: 4,
          seqTo: 9,
          count: 6,
          reason: 'storage-cap',
        },
      ],
    };
    await pub.publishAsync(t('L', 'events'), JSON.stringify(lost), { qos: 1 });
    await pub.publishAsync(t('L', 'readings'), JSON.stringify(readingsBatch('L', [1, 2, 3])), { qos: 1 });
    await pub.publishAsync(t('L', 'readings'), JSON.stringify(readingsBatch('L', [10, 11])), { qos: 1 });
    await pub.publishAsync(t('G', 'readings'), JSON.stringify(readingsBatch('G', [1, 2, 3])), { qos: 1 });
    await pub.publishAsync(t('G', 'readings'), JSON.stringify(readingsBatch('G', [7, 8])), { qos: 1 });

    // N: seqs 3..4 missing and never sent again (no station answers): asked 3 times, then given up.
    await pub.publishAsync(t('N', 'readings'), JSON.stringify(readingsBatch('N', [1, 2])), { qos: 1 });
    await pub.publishAsync(t('N', 'readings'), JSON.stringify(readingsBatch('N', [5, 6])), { qos: 1 });

    const forG = () => asked.find((a) => a.topic === t('G', 'cmd/resend'));
    await until(() => forG() !== undefined, 30_000, 'a resend request for G');
    // The time between the gap's neighbours: seq 3 and seq 7.
    expect(forG()!.body).toMatchObject({
      from: readingsBatch('G', [3]).readings[0]!.ts,
      to: readingsBatch('G', [7]).readings[0]!.ts,
    });
    const requests = await sql<{ id: string; station: string; from_seq: string; to_seq: string }>(
      db.url,
      "SELECT id, station, from_seq, to_seq FROM resend_requests WHERE station = 'G'",
    );
    expect(requests[0]).toMatchObject({ id: forG()!.body.id, station: 'G', from_seq: '4', to_seq: '6' });
    const gaps = await sql<{ station: string; explained_by: string | null }>(
      db.url,
      "SELECT station, explained_by FROM gaps WHERE closed_at IS NULL AND station IN ('G', 'L') ORDER BY station",
    );
    expect(gaps).toEqual([
      { station: 'G', explained_by: null },
      { station: 'L', explained_by: '1' },
    ]);
    // The missing readings come (as a resend would bring them): the gap closes.
    await pub.publishAsync(t('G', 'readings'), JSON.stringify(readingsBatch('G', [3, 4, 5, 6, 7])), {
      qos: 1,
    });
    await waitForCount(
      db.url,
      "SELECT count(*) AS n FROM gaps WHERE station = 'G' AND closed_at IS NOT NULL",
      1,
      'the gap of G closed',
    );
    // N was asked for three times, then given up: left open, asked no more.
    await waitForCount(
      db.url,
      "SELECT count(*) AS n FROM gaps WHERE station = 'N' AND asks = 3",
      1,
      'N given up',
    );
    const asksOfN = () => asked.filter((a) => a.topic === t('N', 'cmd/resend')).length;
    await until(() => asksOfN() === 3, 10_000, 'three requests for N on the wire');
    await new Promise((r) => setTimeout(r, 1500)); // several gap-check rounds, retry time passed
    expect(asksOfN()).toBe(3);
    expect(await sql(db.url, "SELECT 1 FROM gaps WHERE station = 'N' AND closed_at IS NULL")).toHaveLength(1);
    // L's explained gap was never asked for.
    expect(asked.filter((a) => a.topic === t('L', 'cmd/resend'))).toEqual([]);
  });

  it('says what is wrong and exits: bad options 2, an unreachable database 1', async () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['dist-tools/scripts/receiver/main.js', ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
    const noShare = run([
      '--url',
      'mqtt://127.0.0.1:1',
      '--postgres',
      'postgres://x@127.0.0.1:1/x',
      '--connections',
      '3',
    ]);
    expect(noShare.status).toBe(2);
    expect(noShare.stderr).toContain('--connections above 1 needs --share');
    const port = await freePort();
    const down = run(['--url', 'mqtt://127.0.0.1:1', '--postgres', `postgres://x@127.0.0.1:${port}/x`]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/receiver: cannot connect to PostgreSQL: .*ECONNREFUSED/);
    expect(down.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
