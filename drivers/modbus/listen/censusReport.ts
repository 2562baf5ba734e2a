import type { CensusSummary } from './lineCensus.js';
import type { PassiveFramerStats } from './passiveFramer.js';

/**
 * The census as plain text for a terminal (`read --listen`, `scan --listen`): one line per unit and
 * function code, then what the line carried that was not a frame.
 */

const FUNCTION_NAMES: Record<number, string> = {
  1: 'read coils',
  2: 'read discrete inputs',
  3: 'read holding',
  4: 'read input',
  5: 'write coil',
  6: 'write register',
  15: 'write coils',
  16: 'write registers',
};

export function formatCensus(summary: CensusSummary, line?: PassiveFramerStats): string {
  const seconds = Math.round((summary.to - summary.from) / 1000);
  const lines: string[] = [];
  lines.push(
    `listened ${seconds} s: ${summary.units.length} unit(s) polled${summary.units.length ? ` (${summary.units.join(', ')})` : ''}`,
  );
  if (summary.functions.length > 0) {
    const rows = [['unit', 'fc', 'function', 'ranges', 'req/min', 'ans/min', 'no answer', 'exceptions']];
    for (const f of summary.functions) {
      const ranges = f.ranges
        .map((r) => (r.quantity === 1 ? `${r.address}` : `${r.address}-${r.address + r.quantity - 1}`))
        .join(' ');
      const exceptions = Object.entries(f.exceptions)
        .map(([code, n]) => `${code}×${n}`)
        .join(' ');
      rows.push([
        String(f.unit),
        String(f.fn),
        FUNCTION_NAMES[f.fn] ?? `fc ${f.fn}`,
        ranges || '-',
        f.requestsPerMin.toFixed(1),
        f.answersPerMin.toFixed(1),
        String(f.noAnswer),
        exceptions || '-',
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      lines.push(
        r
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      );
  }
  const discarded = Object.entries(summary.discarded).map(([reason, n]) => `${reason} ${n}`);
  if (discarded.length > 0) lines.push(`answers discarded: ${discarded.join(', ')}`);
  if (line) {
    lines.push(
      `line: ${line.bytes} bytes, ${line.frames} frames, ${line.garbageBytes} garbage bytes, ` +
        `${line.crcErrors} CRC errors, ${line.truncated} truncated`,
    );
  }
  return `${lines.join('\n')}\n`;
}
