import type { Figure, WorkloadResult } from './benchTypes.js';
import type { MachineInfo } from './machine.js';

/**
 * bench/results.json and the table of docs/performance.md. Each workload's entry carries the machine
 * and date it ran on, so a partial run (--only) can update some rows and keep the others honest.
 */

export type WorkloadEntry =
  | ({ status: 'ok'; machine: MachineInfo; quick: boolean; runs: number } & WorkloadResult)
  | {
      status: 'failed';
      id: number;
      name: string;
      error: string;
      machine: MachineInfo;
      quick: boolean;
      runs: number;
    };

export interface BenchResults {
  /** Bumped when the shape of this file changes. */
  format: 1;
  workloads: WorkloadEntry[];
}

export const TABLE_START =
  '<!-- bench:results:start (written by `npm run bench`; edit outside the markers) -->';
export const TABLE_END = '<!-- bench:results:end -->';

/** Replaces the entries of the workloads just run, keeps the others, sorted by id. */
export function mergeResults(previous: BenchResults | undefined, fresh: WorkloadEntry[]): BenchResults {
  const byId = new Map<number, WorkloadEntry>();
  for (const e of previous?.workloads ?? []) byId.set(e.id, e);
  for (const e of fresh) byId.set(e.id, e);
  return { format: 1, workloads: [...byId.values()].sort((a, b) => a.id - b.id) };
}

/** Parses a results file, or undefined when it is absent or not ours (it is then rewritten whole). */
export function parseResults(text: string | undefined): BenchResults | undefined {
  if (text === undefined) return undefined;
  try {
    const data = JSON.parse(text) as Partial<BenchResults>;
    return data.format === 1 && Array.isArray(data.workloads) ? (data as BenchResults) : undefined;
  } catch {
    return undefined;
  }
}

/** The markdown between the markers: targets, then every figure, then notes, then machines. */
export function renderTable(results: BenchResults): string {
  const out: string[] = [];
  out.push('| # | Workload | Compared | Target | Actual | Result |', '| --- | --- | --- | --- | --- | --- |');
  for (const w of results.workloads) {
    if (w.status === 'failed') {
      out.push(`| ${w.id} | ${w.name} | — | — | — | **failed**: ${cell(w.error)} |`);
      continue;
    }
    for (const t of w.targets) {
      out.push(
        `| ${w.id} | ${w.name} | ${cell(t.what)} | ${cell(t.bound)} | ${t.actual} | ${t.met ? 'met' : '**missed**'} |`,
      );
    }
  }
  out.push('', '| # | Side | Figure | Median | Samples |', '| --- | --- | --- | --- | --- |');
  for (const w of results.workloads) {
    if (w.status === 'failed') continue;
    for (const f of w.measured) out.push(figureRow(w.id, 'agent', f));
    for (const f of w.baseline) out.push(figureRow(w.id, 'baseline, same run', f));
  }
  const notes = results.workloads.flatMap((w) =>
    w.status === 'ok' ? w.notes.map((n) => `- ${w.id}: ${n}`) : [],
  );
  if (notes.length > 0) out.push('', ...notes);
  out.push('', 'Machines:');
  for (const w of results.workloads) {
    const m = w.machine;
    out.push(
      `- ${w.id} (${w.quick ? 'quick run' : 'full run'}): ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, ` +
        `Node ${m.node}, ${m.os}, commit ${m.commit.slice(0, 12)}${m.dirty ? ' + uncommitted changes' : ''}, ${m.date}`,
    );
  }
  return out.join('\n');
}

/** Puts the table between the markers of `doc`, appending a section with them when absent. */
export function spliceTable(doc: string, table: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  const block = `${TABLE_START}\n\n${table}\n\n${TABLE_END}`;
  if (start === -1 || end === -1 || end < start) {
    return `${doc.trimEnd()}\n\n## Results\n\n${block}\n`;
  }
  return doc.slice(0, start) + block + doc.slice(end + TABLE_END.length);
}

function figureRow(id: number, side: string, f: Figure): string {
  const samples = f.samples.length > 12 ? `${f.samples.length} samples` : f.samples.join(', ');
  return `| ${id} | ${side} | ${cell(f.name)} | ${f.value} ${f.unit} | ${samples} |`;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
