import stringWidth from 'string-width';

/**
 * Terminal columns a text takes: a Chinese character takes two, a combining mark none. Padding by
 * `.length` would break every column after a cell such as `化学需氧量` (5 characters, 10 columns).
 */
export const displayWidth = (text: string): number => stringWidth(text);

/** `text` followed by spaces up to `width` terminal columns (never cut). */
export function padDisplayEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** The longest start of `text` that fits in `width` terminal columns (a wide character is never halved). */
export function fitDisplayWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

/**
 * A plain text table for terminal output: columns padded to their widest cell, two spaces apart,
 * a dashed rule under the header; columns empty in every row (and their header) are left out.
 * Widths are terminal columns (displayWidth), so Chinese names and units line up.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const used = headers.map((_, i) => rows.some((r) => (r[i] ?? '') !== ''));
  const cols = headers.map((_, i) => i).filter((i) => used[i]);
  const widths = cols.map((i) =>
    Math.max(displayWidth(headers[i]!), ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cols
      .map((i, k) => padDisplayEnd(cells[i] ?? '', widths[k]!))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
