import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PERIOD_KINDS, type PeriodKind } from '../aggregation/periods.js';
import { formatProblems, loadConfig } from '../config/load.js';
import { openStoreReadOnly } from '../store/storeReadOnly.js';
import { parseTimeArg, UTF8_BOM, ZonedTime } from './csv.js';
import { configOption, resolveConfigPath } from './defaultConfigPath.js';
import { EXIT_USAGE } from './exitCodes.js';
import { withIdHint } from './idSuggestion.js';
import { Progress, type ProgressStream } from './progressBar.js';
import {
  aggregateCsvLines,
  countAggregates,
  countReadings,
  type ExportRange,
  readingCsvLines,
  resolveChannels,
  UnknownChannelError,
} from './storeExport.js';

/**
 * `station-agent export`: readings (or minute/hour/day records) of a time range as CSV, read from
 * the store while the agent runs. Rows stream from SQLite to the output in chunks with
 * back-pressure, so the range's size never decides the memory used.
 *
 * Exit codes: 0 written, 1 the store could not be read or the output written, 2 bad arguments or
 * configuration.
 */

export interface ExportOptions {
  config: string;
  from: string;
  to: string;
  channel: string[];
  format: 'csv';
  /** UTF-8 byte order mark first (default true; `--no-bom` makes it false). */
  bom?: boolean;
  kind?: PeriodKind;
  output?: string;
}

/** Where CSV goes: process.stdout or a file stream (write() false = wait for 'drain'). */
export interface ExportSink {
  write(chunk: string): boolean;
  on(event: 'error', fn: (err: unknown) => void): unknown;
  once(event: 'drain', fn: () => void): unknown;
}

export interface ExportIo {
  out: ExportSink;
  err: ProgressStream;
}

/** Below this many rows an export takes well under a second: a bar would only flicker. */
const PROGRESS_MIN_ROWS = 20_000;
/** Rows between progress updates: cheap enough, and a terminal redraw per row would dominate. */
const PROGRESS_EVERY = 2_000;
/** Lines gathered per write: fewer, larger writes (a pipe or file takes 64 KiB at once). */
const CHUNK_CHARS = 64 * 1024;

/** Writes `lines` to `sink`, waiting for 'drain' whenever the sink's buffer is full. */
export async function pump(lines: Iterable<string>, sink: ExportSink): Promise<void> {
  let failed: unknown;
  let wake: (() => void) | undefined;
  // An EPIPE (`| head`) or a full disk arrives as 'error': stop at the next chunk, not crash.
  // One listener for the whole export (a listener per wait would pile up on a slow sink).
  sink.on('error', (err) => {
    failed = err ?? new Error('write failed');
    wake?.();
  });
  let chunk = '';
  const flush = async () => {
    if (failed) throw failed;
    const ok = sink.write(chunk);
    chunk = '';
    // The error may come during write() itself: waiting for a 'drain' then would wait forever.
    if (!ok && !failed) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        sink.once('drain', resolve);
      });
      wake = undefined;
    }
    if (failed) throw failed;
  };
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= CHUNK_CHARS) await flush();
  }
  if (chunk) await flush();
}

export async function exportCommand(opts: ExportOptions, io: ExportIo): Promise<number> {
  const loaded = await loadConfig(opts.config);
  if (!loaded.ok) {
    io.err.write(`${formatProblems(loaded.problems)}\n`);
    return 2;
  }
  const { config } = loaded;
  const zone = new ZonedTime(config.station.timezone);
  let range: ExportRange;
  try {
    range = { from: parseTimeArg(opts.from, zone), to: parseTimeArg(opts.to, zone) };
  } catch (err) {
    io.err.write(`station-agent: ${(err as Error).message}\n`);
    return 2;
  }
  if (range.to <= range.from) {
    io.err.write(`station-agent: --to (${opts.to}) must be after --from (${opts.from})\n`);
    return 2;
  }

  let db: ReturnType<typeof openStoreReadOnly>;
  try {
    db = openStoreReadOnly(config.storage.path);
  } catch (err) {
    io.err.write(`station-agent: ${(err as Error).message}\n`);
    return 1;
  }
  // A file is written beside its final name and renamed at the end: a half export never looks whole.
  const partial = opts.output ? `${opts.output}.partial` : undefined;
  try {
    if (opts.channel.length > 0) range.channelIds = resolveChannels(db, opts.channel);
    const { kind } = opts;
    const total = kind ? countAggregates(db, kind, range) : countReadings(db, range);
    const progress =
      total >= PROGRESS_MIN_ROWS ? new Progress(io.err, total, { label: 'export' }) : undefined;
    const onRow = progress
      ? (n: number) => {
          if (n % PROGRESS_EVERY === 0 || n === total) progress.update(n, `${kind ?? 'reading'} rows`);
        }
      : undefined;
    const rows = kind
      ? aggregateCsvLines(db, kind, range, zone, onRow)
      : readingCsvLines(db, range, zone, onRow);
    const lines = opts.bom === false ? rows : startingWith(UTF8_BOM, rows);

    if (partial) {
      const file = createWriteStream(partial);
      try {
        await pump(lines, file);
        await new Promise<void>((resolve, reject) => {
          file.once('error', reject);
          file.end((err?: Error | null) => (err ? reject(err) : resolve()));
        });
      } catch (err) {
        file.destroy(); // close the descriptor before the partial file is removed below
        throw err;
      }
      await rename(partial, opts.output!);
    } else {
      await pump(lines, io.out);
    }
    progress?.finish();
    io.err.write(
      `exported ${total} ${kind ? `${kind} record(s)` : 'reading(s)'} ` +
        `from ${new Date(range.from).toISOString()} to ${new Date(range.to).toISOString()}` +
        `${opts.output ? ` to ${opts.output}` : ''}\n`,
    );
    return 0;
  } catch (err) {
    if (partial) await rm(partial, { force: true });
    if (err instanceof UnknownChannelError) {
      io.err.write(`station-agent: ${withIdHint(err.message, err.spec, err.stored)}\n`);
      return EXIT_USAGE;
    }
    // The reader of stdout went away (`| head`): nothing more to say, and nowhere to say it.
    if ((err as { code?: unknown }).code === 'EPIPE') return 0;
    io.err.write(`station-agent: export failed: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  } finally {
    db.close();
  }
}

function* startingWith(first: string, rest: Iterable<string>): Generator<string> {
  yield first;
  yield* rest;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function exportCommandDefinition(): Command {
  return new Command('export')
    .description('write stored readings (or minute/hour/day records) of a time range as CSV')
    .addOption(configOption('station configuration (YAML): where the store is, the time zone'))
    .requiredOption('--from <time>', 'start, inclusive (ISO 8601; without Z or offset: station time)')
    .requiredOption('--to <time>', 'end, exclusive (ISO 8601; without Z or offset: station time)')
    .option('--channel <device/channel>', 'only this channel; repeat for several', collect, [])
    .addOption(new Option('--format <format>', 'output format').choices(['csv']).default('csv'))
    .option('--no-bom', 'leave out the UTF-8 byte order mark (Excel needs it; some programs do not want it)')
    .addOption(
      new Option('--kind <period>', 'export aggregate records of this period instead of readings').choices([
        ...PERIOD_KINDS,
      ]),
    )
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .addHelpText(
      'after',
      `
Readings columns: seq, utc_time (ISO 8601), station_time (<zone>) as yyyy-MM-dd HH:mm:ss (Excel
reads it as a date), device, channel, code, value, unit, flag. With --kind: aseq, period, utc_start,
station_start (<zone>), utc_end, device, channel, code, min, avg, max, cou, unit, count, valid,
expected, flag, ok (1 when the period met its validity rule). UTF-8 with a byte order mark, so Excel
on a Chinese Windows shows units such as °C and μS/cm as they are (--no-bom to leave it out).
Values are as stored: a float32 as the decimal the analyzer meant (7.6), never rounded further.
Readings are in time order; a range covers from <= ts < to, so consecutive days never overlap.
The store is opened read-only: exporting beside the running agent is safe. Long exports show a
progress bar on standard error.
Exit codes: 0 written, 1 store unreadable or output failed, 2 bad arguments or configuration.

Examples:
  station-agent export --config /etc/station-agent/station.yaml --from 2026-11-01 --to 2026-11-02 \\
    --channel nutrient/codmn --channel sonde/ph --output /tmp/2026-11-01.csv
  station-agent export --config /etc/station-agent/station.yaml --from 2026-11-01T00:00:00Z \\
    --to 2026-12-01T00:00:00Z --kind hour > november-hours.csv`,
    )
    .action(async (opts: Omit<ExportOptions, 'config'> & { config?: string }) => {
      if (opts.format !== 'csv') throw new InvalidArgumentError('only csv is supported');
      const config = resolveConfigPath(opts.config, process.stderr);
      process.exitCode =
        config === undefined
          ? EXIT_USAGE
          : await exportCommand({ ...opts, config }, { out: process.stdout, err: process.stderr });
    });
}
