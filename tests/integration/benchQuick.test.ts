/**
 * Issue 9: `npm run bench -- --quick` runs in npm test so the benchmark never rots. It checks that
 * every workload ran and reported well-formed figures — never whether a target was met (speed is
 * measured by the benchmark, not asserted by tests).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

function runQuick(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/bench/main.ts', '--quick', '--out-dir', outDir],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
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
