/**
 * Issue 9: `npm run bench -- --quick` runs in npm test so the benchmark never rots. It checks that
 * every workload ran and reported well-formed figures — never whether a target was met (speed is
 * measured by the benchmark, not asserted by tests).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../scripts/bench/report.js';
import { WORKLOADS } from '../../scripts/bench/workloads/index.js';
import { assertBuilt } from '../../scripts/support/agentProcess.js';
import { assertSocat } from '../../scripts/support/pty.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'bench-quick-test-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Content and mtime of a repo file a quick run must not touch (absent is fine). */
function fingerprint(file: string): string {
  const path = join(ROOT, file);
  return existsSync(path) ? `${statSync(path).mtimeMs}:${readFileSync(path, 'utf8')}` : 'absent';
}

function runQuick(
  args: string[] = ['scripts/bench/main.ts', '--quick', '--out-dir', outDir],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('npm run bench -- --quick', () => {
  it('runs every workload and writes well-formed results to its own directory only', async () => {
    assertBuilt(); // the footprint workload runs the built agent
    assertSocat(); // the line workload needs ptys
    // Workload 7 (receiver load) starts mosquitto and PostgreSQL (Debian's binaries, pretest checks).
    const before = [fingerprint('docs/performance.md'), fingerprint('bench/results.json')];

    const { code, output } = await runQuick();
    expect(code, output).toBe(0);

    const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
    expect(results.format).toBe(1);
    expect(results.workloads.map((w) => w.id)).toEqual(WORKLOADS.map((w) => w.id).sort((a, b) => a - b));
    for (const w of results.workloads) {
      if (w.status !== 'ok') throw new Error(`workload ${w.id} failed: ${w.error}`);
      expect(w.quick).toBe(true);
      expect(w.machine.cores).toBeGreaterThan(0);
      expect(w.machine.node).toBe(process.version);
      expect(w.measured.length, `workload ${w.id} measured`).toBeGreaterThan(0);
      expect(w.targets.length, `workload ${w.id} targets`).toBeGreaterThan(0);
      for (const f of [...w.measured, ...w.baseline]) {
        expect(f.samples.length, `${w.id} ${f.name}`).toBeGreaterThan(0);
        for (const x of [f.value, ...f.samples])
          expect(Number.isFinite(x), `${w.id} ${f.name}: ${x}`).toBe(true);
      }
      for (const t of w.targets) {
        expect(Number.isFinite(t.actual), `${w.id} ${t.what}`).toBe(true);
        expect(typeof t.met).toBe('boolean');
      }
    }

    const table = readFileSync(join(outDir, 'performance.md'), 'utf8');
    for (const w of results.workloads) expect(table).toContain(`| ${w.id} | ${w.name} |`);

    // A quick run leaves the committed figures alone.
    expect([fingerprint('docs/performance.md'), fingerprint('bench/results.json')]).toEqual(before);
  }, 150_000); // a limit, not a measure: ~75 s on a shared 2-core machine, ~15 s of it workload 7's PostgreSQL
});

describe('npm run bench -- --only soak (issue 19), quick, with heap snapshots', () => {
  it('reports the second-half slopes of every figure, and heapSurvivors reads its snapshots', async () => {
    assertBuilt();
    const soakDir = mkdtempSync(join(tmpdir(), 'bench-soak-test-'));
    const snapshots = join(soakDir, 'snapshots');
    mkdirSync(snapshots);
    try {
      const run = await runQuick(
        ['scripts/bench/main.ts', '--only', 'soak', '--quick', '--out-dir', soakDir],
        {
          ...process.env,
          BENCH_SOAK_SNAPSHOTS: snapshots,
        },
      );
      expect(run.code, run.output).toBe(0);
      const results = JSON.parse(readFileSync(join(soakDir, 'results.json'), 'utf8')) as BenchResults;
      expect(results.workloads.map((w) => w.id)).toEqual([8]);
      const soak = results.workloads[0]!;
      if (soak.status !== 'ok') throw new Error(`the soak failed: ${soak.error}`);
      const slopes = soak.targets.map((t) => t.what);
      for (const figure of [
        'RSS',
        'heap used after GC',
        'external memory',
        'SQLite WAL file',
        'SQLite shm file',
      ])
        for (const agent of ['agent as installed', 'agent node defaults'])
          expect(slopes).toContain(`${figure} slope, ${agent}`);
      for (const t of soak.targets) expect(Number.isFinite(t.actual), t.what).toBe(true);

      const files = ['three-eighths', 'half', 'five-eighths', 'three-quarters', 'seven-eighths', 'end'].map(
        (n) => join(snapshots, `soak-${n}.heapsnapshot`),
      );
      for (const f of files) expect(existsSync(f), f).toBe(true);
      const survivors = await runQuick(['scripts/bench/heapSurvivors.ts', ...files, '--top', '5']);
      expect(survivors.code, survivors.output).toBe(0);
      expect(survivors.output).toMatch(
        /^interval 4 .*of which V8 code and metadata [\d.]+ KB, the rest [\d.]+ KB$/m,
      );
      expect(survivors.output).toContain('what retains a sample of each of the top groups');
    } finally {
      rmSync(soakDir, { recursive: true, force: true });
    }
  }, 150_000); // a limit, not a measure: the quick soak runs 12 s, plus start-up and six snapshots
});
