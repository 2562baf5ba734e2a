/**
 * A plain text table for terminal output: columns padded to their widest cell, two spaces apart,
 * a dashed rule under the header; columns empty in every row (and their header) are left out.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const used = headers.map((_, i) => rows.some((r) => (r[i] ?? '') !== ''));
  const cols = headers.map((_, i) => i).filter((i) => used[i]);
  const widths = cols.map((i) => Math.max(headers[i]!.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cols
      .map((i, k) => (cells[i] ?? '').padEnd(widths[k]!))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
