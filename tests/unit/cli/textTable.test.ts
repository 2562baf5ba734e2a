import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../agent/cli/progressBar.js';
import { displayWidth, fitDisplayWidth, padDisplayEnd, renderTable } from '../../../agent/cli/textTable.js';

/** Where each column starts on a line, in terminal columns (cells are two or more spaces apart). */
function columnStarts(line: string): number[] {
  const starts: number[] = [];
  for (const m of line.matchAll(/(?:^|\s{2,})(\S)/g)) {
    const before = line.slice(0, m.index + m[0].length - 1);
    starts.push(displayWidth(before));
  }
  return starts;
}

describe('displayWidth', () => {
  it('counts a Chinese character as two terminal columns', () => {
    expect(displayWidth('cod')).toBe(3);
    expect(displayWidth('化学需氧量')).toBe(10);
    expect(displayWidth('pH值')).toBe(4);
    expect(displayWidth('µS/cm')).toBe(5);
  });

  it('pads and cuts by columns, never halving a wide character', () => {
    expect(padDisplayEnd('氨氮', 6)).toBe('氨氮  ');
    expect(padDisplayEnd('toolong', 3)).toBe('toolong');
    expect(fitDisplayWidth('总磷总氮', 5)).toBe('总磷');
    expect(fitDisplayWidth('abc', 5)).toBe('abc');
  });
});

describe('renderTable with Chinese cells', () => {
  const text = renderTable(
    ['channel', 'name', 'value', 'unit'],
    [
      ['cod', '化学需氧量', '23.5', 'mg/L'],
      ['nh3n', '氨氮', '0.41', '毫克/升'],
      ['ph', 'pH', '7.12', ''],
    ],
  );
  const lines = text.split('\n');

  it('starts every column at the same terminal column on every line', () => {
    const header = columnStarts(lines[0]!);
    expect(header).toEqual([0, 9, 21, 28]);
    expect(columnStarts(lines[2]!)).toEqual(header);
    expect(columnStarts(lines[3]!)).toEqual(header);
    // The pH row has no unit: its last column is simply absent.
    expect(columnStarts(lines[4]!)).toEqual(header.slice(0, 3));
  });

  it('rules each column as wide as its widest cell in columns', () => {
    expect(lines[1]).toBe(`${'-'.repeat(7)}  ${'-'.repeat(10)}  ${'-'.repeat(5)}  ${'-'.repeat(7)}`);
    expect(lines[2]).toBe('cod      化学需氧量  23.5   mg/L');
    expect(lines[3]).toBe('nh3n     氨氮        0.41   毫克/升');
  });
});

describe('progressLine with a Chinese note', () => {
  it('fits the terminal in columns, not characters', () => {
    const line = progressLine(3, 10, '正在读取分析仪数据'.repeat(4), 40);
    expect(displayWidth(line)).toBeLessThanOrEqual(39);
    expect(line).toContain('3/10');
  });
});
