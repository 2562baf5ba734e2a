import { readFileSync } from 'node:fs';
import { nodeKind, type RawSnapshot, snapshotArgs } from './heapSnapshot.js';

/**
 * Compares V8 heap snapshots (.heapsnapshot, e.g. the soak workload's BENCH_SOAK_SNAPSHOTS) by
 * constructor: which kinds of objects grew in count or size between the first and the last file.
 * A leak shows as a constructor whose count keeps rising snapshot after snapshot.
 *
 *   npx tsx scripts/bench/heapDiff.ts a.heapsnapshot b.heapsnapshot [c.heapsnapshot …] [--top 25]
 */

interface Group {
  count: number;
  size: number;
}

/** Count and self size per kind (nodeKind: objects by constructor, strings and arrays by type). */
export function groupByConstructor(snap: RawSnapshot): Map<string, Group> {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, Group>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const key = nodeKind(type, snap.strings[snap.nodes[i + nameAt]!]);
    const g = groups.get(key) ?? { count: 0, size: 0 };
    g.count++;
    g.size += snap.nodes[i + sizeAt]!;
    groups.set(key, g);
  }
  return groups;
}

function main(): void {
  const args = snapshotArgs(process.argv.slice(2), 25);
  if (!args) {
    process.stderr.write('usage: heapDiff a.heapsnapshot b.heapsnapshot [more…] [--top n]\n');
    process.exit(2);
  }
  const { files, top } = args;
  const all = files.map((f) => groupByConstructor(JSON.parse(readFileSync(f, 'utf8')) as RawSnapshot));
  const totals = all.map((g) => [...g.values()].reduce((s, x) => s + x.size, 0));
  process.stdout.write(`total self size: ${totals.map((t) => (t / 2 ** 20).toFixed(2)).join(' → ')} MB\n`);
  const first = all[0]!;
  const last = all.at(-1)!;
  const keys = new Set([...first.keys(), ...last.keys()]);
  const rows = [...keys].map((k) => ({
    k,
    dCount: (last.get(k)?.count ?? 0) - (first.get(k)?.count ?? 0),
    dSize: (last.get(k)?.size ?? 0) - (first.get(k)?.size ?? 0),
  }));
  rows.sort((a, b) => Math.abs(b.dSize) - Math.abs(a.dSize));
  process.stdout.write('Δsize (bytes)  Δcount  counts over the files  constructor\n');
  for (const r of rows.slice(0, top)) {
    const counts = all.map((g) => g.get(r.k)?.count ?? 0).join(' → ');
    process.stdout.write(
      `${String(r.dSize).padStart(12)}  ${String(r.dCount).padStart(6)}  ${counts}  ${r.k}\n`,
    );
  }
}

if (process.argv[1]?.endsWith('heapDiff.ts') || process.argv[1]?.endsWith('heapDiff.js')) main();
