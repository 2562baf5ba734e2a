import { parseArgs } from 'node:util';
import pg from 'pg';
import { publishLoad } from './loadPublisher.js';

/**
 * `node dist-tools/scripts/receiver/loadMain.js --url mqtt://broker:1883 [--stations 3000] [--batches 20]
 *  [--per-batch 50] [--prefix fleet] [--encoding json|columnar-deflate|mixed] [--repeat-every 0]
 *  [--postgres URL]`
 * Replays simulated stations into a broker (loadPublisher.ts) for a full-size run against receivers
 * started separately (`receiver --postgres … --prefix fleet --share …`). With --postgres it waits
 * until the receivers' database holds every reading (an empty database is assumed) and prints the
 * end-to-end rate.
 */
const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    prefix: { type: 'string', default: 'fleet' },
    stations: { type: 'string', default: '3000' },
    batches: { type: 'string', default: '20' },
    'per-batch': { type: 'string', default: '50' },
    encoding: { type: 'string', default: 'mixed' },
    'repeat-every': { type: 'string', default: '0' },
    postgres: { type: 'string' },
  },
});
const numbers = [values.stations, values.batches, values['per-batch'], values['repeat-every']].map(Number);
const encoding = values.encoding;
if (
  !values.url ||
  numbers.some((n) => !Number.isInteger(n) || n < 0) ||
  (encoding !== 'json' && encoding !== 'columnar-deflate' && encoding !== 'mixed')
) {
  process.stderr.write(
    'usage: loadMain --url mqtt://host:1883 [--stations n] [--batches n] [--per-batch n] [--encoding json|columnar-deflate|mixed] [--repeat-every n] [--postgres URL]\n',
  );
  process.exit(2);
}
const [stations, batches, perBatch, repeatEvery] = numbers as [number, number, number, number];
const started = Date.now();
const result = await publishLoad({
  url: values.url,
  prefix: values.prefix,
  stations,
  batchesPerStation: batches,
  perBatch,
  encoding,
  repeatEvery,
});
const published = (Date.now() - started) / 1000;
process.stdout.write(
  `published ${result.readings} readings in ${result.messages} messages (${result.repeats} repeats) ` +
    `from ${stations} stations in ${published.toFixed(1)} s\n`,
);
if (values.postgres !== undefined) {
  const client = new pg.Client({ connectionString: values.postgres });
  await client.connect();
  for (;;) {
    const n = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0]?.n);
    if (n >= result.readings) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await client.end();
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    `all in the database after ${seconds.toFixed(1)} s: ${Math.round(result.readings / seconds)} readings/s end to end\n`,
  );
}
