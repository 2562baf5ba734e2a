import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './benchProcesses.js';
import type { BenchOptions } from './benchTypes.js';
import { machineInfo } from './machine.js';
import { mergeResults, parseResults, renderTable, spliceTable, type WorkloadEntry } from './report.js';
import { WORKLOADS } from './workloads/index.js';

/**
 * `npm run bench`: runs the workloads of issue 9 and writes bench/results.json and the table in
 * docs/performance.md (between its markers; the hand-written analysis around them stays).
 *
 *   --quick         smoke run (tiny sizes, one repetition); writes into a temp dir (or --out-dir), never
 *                   over bench/results.json or docs/performance.md. npm test runs it.
 *   --only 1,4      these workloads only (by id or name: --only soak); a full run then updates their
 *                   rows and keeps the others. The soak (7) takes hours: a full run without --only skips
 *                   it, a quick run includes it.
 *   --minutes n     length of the soak (default 120).
 *   --runs n        repetitions of the short workloads (default 5; 1 with --quick).
 *   --out-dir dir   where a quick run writes results.json and performance.md.
 *   --stations n, --channels n, --seconds n
 *                   size of workload 7 (receiver load): simulated stations, channels each (one reading
 *                   a second), seconds of real-time publishing. Default 1000 × 40 × 120 (10 × 4 × 4 quick).
 *
 * A workload that throws is reported as failed (in the table too) and makes the exit code 1; the
 * others still run. A missed target is a result, not an error: the exit code stays 0.
 */

const values = parseCommandLine();

const quick = values.quick === true;
const runs = values.runs === undefined ? (quick ? 1 : 5) : Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) usage(`--runs: expected a whole number >= 1, got "${values.runs}"`);
const fleet = {
  stations: sizeOption('stations', values.stations),
  channels: sizeOption('channels', values.channels),
  seconds: sizeOption('seconds', values.seconds),
};
const only = values.only === undefined ? undefined : parseOnly(values.only);
const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
if (minutes !== undefined && !(minutes > 0))
  usage(`--minutes: expected a number > 0, got "${values.minutes}"`);

const selected = WORKLOADS.filter((w) =>
  only === undefined ? quick || !w.onlyWhenNamed : only.has(w.id),
).sort((a, b) => a.id - b.id);

const scratch = mkdtempSync(join(tmpdir(), 'station-bench-'));
const entries: WorkloadEntry[] = [];
for (const w of selected) {
  const workDir = join(scratch, `w${w.id}`);
  mkdirSync(workDir);
  const opts: BenchOptions = {
    quick,
    runs,
    workDir,
    fleet,
    ...(minutes === undefined ? {} : { minutes }),
    log: (line) => process.stdout.write(`${line}\n`),
  };
  process.stdout.write(`[${w.id}] ${w.name}${quick ? ' (quick)' : ''}\n`);
  const machine = machineInfo(REPO_ROOT, new Date());
  try {
    const result = await w.run(opts);
    entries.push({ status: 'ok', machine, quick, runs, ...result });
    for (const t of result.targets) {
      process.stdout.write(`  ${t.what}: ${t.actual} (${t.bound}) ${t.met ? 'met' : 'MISSED'}\n`);
    }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    entries.push({ status: 'failed', id: w.id, name: w.name, error, machine, quick, runs });
    process.stdout.write(`  FAILED: ${error}\n`);
  }
}

if (quick) {
  const outDir = values['out-dir'] ?? mkdtempSync(join(tmpdir(), 'station-bench-quick-'));
  mkdirSync(outDir, { recursive: true });
  const results = mergeResults(undefined, entries);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'performance.md'), `${renderTable(results)}\n`);
  process.stdout.write(`quick run: results in ${join(outDir, 'results.json')}\n`);
} else {
  const resultsFile = join(REPO_ROOT, 'bench/results.json');
  const docFile = join(REPO_ROOT, 'docs/performance.md');
  const previous = parseResults(existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : undefined);
  // A full run must not mix with quick figures left in the file.
  const results = mergeResults(
    previous && { ...previous, workloads: previous.workloads.filter((e) => !e.quick) },
    entries,
  );
  mkdirSync(join(REPO_ROOT, 'bench'), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  const doc = existsSync(docFile) ? readFileSync(docFile, 'utf8') : '# Performance\n';
  writeFileSync(docFile, spliceTable(doc, renderTable(results)));
  process.stdout.write(`results in ${resultsFile} and ${docFile}\n`);
}
rmSync(scratch, { recursive: true, force: true });
const failed = entries.filter((e) => e.status === 'failed').length;
process.exitCode = failed > 0 ? 1 : 0;
// Helpers (mosquitto, simulators) are stopped by each workload; nothing else should hold the loop open.
setTimeout(() => process.exit(process.exitCode), 2000).unref();

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        runs: { type: 'string' },
        minutes: { type: 'string' },
        'out-dir': { type: 'string' },
        stations: { type: 'string' },
        channels: { type: 'string' },
        seconds: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
}

/** Ids or names (a workload's key or name, any case): `1,4`, `soak`, `7,footprint`. */
function parseOnly(text: string): Set<number> {
  const ids = new Set<number>();
  for (const item of text.split(',').map((s) => s.trim().toLowerCase())) {
    const w = WORKLOADS.find((x) => String(x.id) === item || x.key === item || x.name.toLowerCase() === item);
    if (!w) {
      const have = WORKLOADS.map((x) => `${x.id}${x.key ? ` (${x.key})` : ''}`).join(', ');
      usage(`--only: no workload "${item}" (have ${have})`);
    }
    ids.add(w.id);
  }
  return ids;
}

function sizeOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usage(`--${name}: expected a whole number >= 1, got "${text}"`);
  return n;
}

function usage(message: string): never {
  process.stderr.write(
    `bench: ${message}\nusage: npm run bench -- [--quick] [--only 1,4|soak] [--runs n] [--minutes n] [--out-dir dir] [--stations n] [--channels n] [--seconds n]\n`,
  );
  process.exit(2);
}
