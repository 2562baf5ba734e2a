import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { wrapperNodeFlags } from '../../../scripts/bench/workloads/footprint.js';

describe('the installed wrapper node flags (scripts/install.sh NODE_FLAGS)', () => {
  it('are read from install.sh, the memory flags the benchmarks measured among them', () => {
    const flags = wrapperNodeFlags();
    expect(flags).toContain('--max-semi-space-size=2');
    expect(flags).toContain('--heap-growing-percent=50');
    // A heap cap would turn the aggregate catch-up (≈ 90 MB live) into an out-of-memory restart.
    expect(flags.some((f) => f.startsWith('--max-old-space-size'))).toBe(false);
  });

  it('are accepted by this node: an unknown V8 flag would stop the service at every start', () => {
    const run = spawnSync(process.execPath, [...wrapperNodeFlags(), '-e', 'process.stdout.write("ok")'], {
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok');
    expect(run.status).toBe(0);
  });
});
