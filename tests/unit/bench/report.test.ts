import { describe, expect, it } from 'vitest';
import type { MachineInfo } from '../../../scripts/bench/machine.js';
import {
  type BenchResults,
  mergeResults,
  parseResults,
  renderTable,
  spliceTable,
  TABLE_END,
  TABLE_START,
  type WorkloadEntry,
} from '../../../scripts/bench/report.js';

const machine: MachineInfo = {
  cpu: 'Test CPU',
  cores: 2,
  ramGb: 4,
  node: 'v20.0.0',
  os: 'Debian',
  commit: '0123456789abcdef',
  dirty: false,
  date: '2026-11-29T00:00:00.000Z',
};

function ok(id: number, actual: number): WorkloadEntry {
  return {
    status: 'ok',
    machine,
    quick: false,
    runs: 5,
    id,
    name: `W${id}`,
    measured: [{ name: 'rate', value: actual, samples: [actual], unit: 'tx/s' }],
    baseline: [{ name: 'rate', value: 10, samples: [10], unit: 'tx/s' }],
    targets: [{ what: 'ratio', bound: 'ratio >= 0.9', actual, met: actual >= 0.9 }],
    notes: ['a note'],
  };
}

describe('bench report', () => {
  it('replaces the rows of the workloads run and keeps the others, by id', () => {
    const previous: BenchResults = { format: 1, workloads: [ok(6, 1), ok(1, 0.5)] };
    const merged = mergeResults(previous, [ok(1, 0.95)]);
    expect(merged.workloads.map((w) => [w.id, w.status === 'ok' && w.targets[0]?.actual])).toEqual([
      [1, 0.95],
      [6, 1],
    ]);
  });

  it('shows a failed workload as failed in the table', () => {
    const failed: WorkloadEntry = {
      status: 'failed',
      id: 2,
      name: 'W2',
      error: 'socat | missing',
      machine,
      quick: false,
      runs: 5,
    };
    const table = renderTable(mergeResults(undefined, [ok(1, 0.5), failed]));
    expect(table).toContain('| 1 | W1 | ratio | ratio >= 0.9 | 0.5 | **missed** |');
    expect(table).toContain('| 2 | W2 | — | — | — | **failed**: socat \\| missing |');
  });

  it('writes between the markers and keeps the hand-written text around them', () => {
    const doc = `# Performance\n\nintro\n\n${TABLE_START}\nold table\n${TABLE_END}\n\n## Analysis\n\nkept\n`;
    const out = spliceTable(doc, 'NEW');
    expect(out).toBe(
      `# Performance\n\nintro\n\n${TABLE_START}\n\nNEW\n\n${TABLE_END}\n\n## Analysis\n\nkept\n`,
    );
    // Without markers a section is appended, the text before is kept.
    expect(spliceTable('# P\n\ntext\n', 'T')).toBe(
      `# P\n\ntext\n\n## Results\n\n${TABLE_START}\n\nT\n\n${TABLE_END}\n`,
    );
  });

  it('ignores a results file that is not its own', () => {
    expect(parseResults('not json')).toBeUndefined();
    expect(parseResults('{"format":2,"workloads":[]}')).toBeUndefined();
    expect(parseResults(undefined)).toBeUndefined();
    expect(parseResults('{"format":1,"workloads":[]}')).toEqual({ format: 1, workloads: [] });
  });
});
