/**
 * The channel table `station-agent read` prints, as records keyed by its header names. Columns are
 * cut where the dashed rule under the header puts them, so empty cells (a channel without a unit
 * or code) stay in their column.
 */
export function readTable(out: string): Record<string, string>[] {
  const lines = out.split('\n');
  const ruleAt = lines.findIndex(
    (l, i) => i > 0 && /^-+(?: {2,}-+)*\s*$/.test(l) && lines[i - 1]!.startsWith('channel'),
  );
  if (ruleAt < 0) throw new Error(`no channel table in:\n${out}`);
  const columns = [...lines[ruleAt]!.matchAll(/-+/g)].map((m) => m.index!);
  const cut = (line: string) =>
    columns.map((start, i) => line.slice(start, i + 1 < columns.length ? columns[i + 1] : undefined).trim());
  const names = cut(lines[ruleAt - 1]!);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(ruleAt + 1)) {
    if (line.trim() === '') break;
    const cells = cut(line);
    rows.push(Object.fromEntries(names.map((n, i) => [n, cells[i] ?? ''])));
  }
  return rows;
}
