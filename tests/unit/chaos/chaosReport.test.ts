import { describe, expect, it } from 'vitest';
import { account, pollSlots, ranges } from '../../../scripts/chaos/accounting.js';
import { BEGIN, END, renderTable, spliceTable } from '../../../scripts/chaos/report.js';
import type { ScenarioResult } from '../../../scripts/chaos/scenario.js';

describe('chaos accounting', () => {
  it('counts produced, delivered, lost (as ranges) and duplicates per store', () => {
    const distinct = new Map([
      ['a', new Set([1, 2, 3, 5, 8])],
      ['b', new Set([1, 2])],
    ]);
    const r = account(
      [
        { key: 'a', maxSeq: 8 },
        { key: 'b', maxSeq: 2 },
      ],
      { distinct, received: 10 },
    );
    expect(r).toMatchObject({ produced: 10, delivered: 7, lost: 3, duplicated: 3, unknown: 0 });
    expect(r.missingSeqs).toEqual([4, 6, 7]);
    expect(r.missing).toBe('a: 4, 6-7');
  });

  it('flags a seq no store gave out', () => {
    const r = account([{ key: '', maxSeq: 2 }], {
      distinct: new Map([['', new Set([1, 2, 3])]]),
      received: 3,
    });
    expect(r.unknown).toBe(1);
    expect(r.lost).toBe(0);
  });

  it('writes ranges compactly', () => {
    expect(ranges([])).toBe('');
    expect(ranges([1, 2, 3, 7, 9, 10])).toBe('1-3, 7, 9-10');
  });

  it('counts poll slots that left no row and channels missing from a poll', () => {
    const row = (ts: number, device = 'd', flag = 0) => ({ ts, device, flag });
    // Polls at 0, 1000, 3000 (one slot skipped), 8000 (a stall: 4 slots without a poll); the poll
    // at 3000 has one channel of two.
    const rows = [row(0), row(0), row(1000), row(1000, 'd', 7), row(3000), row(8000), row(8000)];
    expect(pollSlots(rows, [{ id: 'd', channels: 2, intervalMs: 1000 }], 7)).toEqual({
      polls: 4,
      missingRows: 1 + 4 * 2,
      skippedSlots: 1,
      bRows: 1,
    });
  });
});

describe('reliability table', () => {
  const result: ScenarioResult = {
    id: 'broker-stop',
    title: 'broker stopped',
    size: 'full',
    params: { outageS: 120 },
    status: 'pass',
    produced: 10,
    delivered: 10,
    lost: 0,
    missing: '',
    duplicated: 2,
    unknown: 0,
    policyLoss: null,
    recoverMs: 1500,
    firstLiveMs: 200,
    detectMs: null,
    notes: [],
    problems: [],
  };
  const machine = { cpu: 'CPU', cores: 2, node: 'v20', date: '2026-11-29T00:00:00.000Z' };

  it('renders one row per scenario', () => {
    const table = renderTable([result], machine, 60_000);
    expect(table).toContain('| broker stopped | outageS 120 | 10 | 10 | 0 | 2 | 1.5 s | 0.2 s | pass |');
  });

  it('replaces only the text between the markers', () => {
    const doc = `# Reliability\n\nhand-written\n\n${BEGIN}\nold\n${END}\n\nafter\n`;
    const out = spliceTable(doc, 'new table');
    expect(out).toBe(`# Reliability\n\nhand-written\n\n${BEGIN}\nnew table\n${END}\n\nafter\n`);
    expect(spliceTable('# R\n', 't')).toBe(`# R\n\n${BEGIN}\nt\n${END}\n`);
  });
});
