import { describe, expect, it } from 'vitest';
import { Progress, progressLine, renderBar } from '../../../agent/cli/progressBar.js';

const CLEAR_TO_END = '\x1b[K';

function stream(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  return { writes, isTTY, columns, write: (t: string) => writes.push(t) };
}

describe('renderBar', () => {
  it('fills in proportion, clamped to 0..total', () => {
    expect(renderBar(0, 10, 10)).toBe('[..........]');
    expect(renderBar(5, 10, 10)).toBe('[#####.....]');
    expect(renderBar(10, 10, 10)).toBe('[##########]');
    expect(renderBar(15, 10, 10)).toBe('[##########]');
    expect(renderBar(-3, 10, 10)).toBe('[..........]');
    expect(renderBar(1, 3, 3)).toBe('[#..]');
  });

  it('an empty job is complete', () => {
    expect(renderBar(0, 0, 4)).toBe('[####]');
  });
});

describe('progressLine', () => {
  it('shows the count right-aligned to the total and the note', () => {
    expect(progressLine(7, 247, 'unit 8 · 2 answered')).toBe(
      `[${'#'.repeat(1)}${'.'.repeat(23)}]    7/247  unit 8 · 2 answered`,
    );
  });

  it('never reaches the last column of a narrow terminal', () => {
    const line = progressLine(100, 247, 'a very long note '.repeat(5), 40);
    expect(line.length).toBeLessThanOrEqual(39);
    expect(line.startsWith('[')).toBe(true);
    expect(line).toContain('100/247');
  });
});

describe('Progress', () => {
  it('on a terminal redraws one line in place and clears it at the end', () => {
    const s = stream(true);
    const p = new Progress(s, 4, { label: 'scan' });
    p.update(0, 'unit 1');
    p.update(1, 'unit 2');
    p.finish();
    expect(s.writes[0]).toBe(`\r[${'.'.repeat(24)}]  0/4  unit 1${CLEAR_TO_END}`);
    expect(s.writes[1]).toBe(`\r[${'#'.repeat(6)}${'.'.repeat(18)}]  1/4  unit 2${CLEAR_TO_END}`);
    expect(s.writes.at(-1)).toBe('\r\x1b[K');
    expect(s.writes.join('')).not.toContain('\n');
  });

  it('a terminal that reports 0 columns still gets a bar', () => {
    const s = stream(true, 0);
    new Progress(s, 4, { label: 'scan' }).update(2, 'unit 3');
    expect(s.writes[0]).toContain('[############............]  2/4  unit 3');
  });

  it('writes a line above the bar, then redraws the bar', () => {
    const s = stream(true);
    const out: string[] = [];
    const p = new Progress(s, 2, { label: 'scan' });
    p.update(1, 'unit 2');
    p.above(() => out.push('unit 1: answered\n'));
    expect(out).toEqual(['unit 1: answered\n']);
    expect(s.writes.slice(1)).toEqual(['\r\x1b[K', s.writes[0]]);
  });

  it('off a terminal prints a plain line each tenth of the way, no control characters', () => {
    const s = stream(false);
    const p = new Progress(s, 100, { label: 'scan' });
    for (let i = 0; i <= 100; i++) p.update(i, `unit ${i}`);
    p.above(() => {});
    p.finish();
    expect(s.writes).toHaveLength(10);
    expect(s.writes[0]).toBe('scan: 10/100 (unit 10)\n');
    expect(s.writes.at(-1)).toBe('scan: 100/100 (unit 100)\n');
    expect(s.writes.join('')).not.toContain('\r');
    expect(s.writes.join('')).not.toContain(CLEAR_TO_END);
  });

  it('off a terminal, a short job still reports its end', () => {
    const s = stream(false);
    const p = new Progress(s, 3, { label: 'scan' });
    for (let i = 0; i <= 3; i++) p.update(i);
    expect(s.writes).toEqual(['scan: 1/3\n', 'scan: 2/3\n', 'scan: 3/3\n']);
  });
});
