import { readFileSync } from 'node:fs';
import { nodeKind, type RawSnapshot, snapshotArgs } from './heapSnapshot.js';

/**
 * The three-snapshot technique on V8 heap snapshots of one process (e.g. the soak workload's
 * BENCH_SOAK_SNAPSHOTS): the objects created between the first and the second snapshot that are
 * still alive in every later one. V8 keeps an object's id across snapshots of the same isolate, so
 * these are exactly what the process kept from that interval. Warm-up leaves a few such objects
 * once; a leak leaves more every interval. Groups them by kind and prints, for the largest groups,
 * the shortest path from the GC roots to a sample, i.e. what retains it.
 *
 *   npx tsx scripts/bench/heapSurvivors.ts a.heapsnapshot b.heapsnapshot [c.heapsnapshot …] [--top 20]
 */

export interface HeapGraph {
  count: number;
  id: Uint32Array;
  size: Uint32Array;
  kind: string[];
  /** Index of the node that reaches this one on a shortest path from the root; -1 for none. */
  parent: Int32Array;
  /** Name of the edge from parent to this node. */
  via: string[];
}

/** Parses a snapshot into per-node arrays and a breadth-first tree of strong edges from the root. */
export function readGraph(raw: RawSnapshot): HeapGraph {
  const { node_fields, node_types } = raw.snapshot.meta;
  const edge_fields = raw.snapshot.meta.edge_fields ?? [];
  const edge_types = raw.snapshot.meta.edge_types ?? [[]];
  const edges = raw.edges ?? [];
  const nw = node_fields.length;
  const ew = edge_fields.length;
  const nTypes = node_types[0];
  const eTypes = edge_types[0];
  const at = (f: string) => node_fields.indexOf(f);
  const [typeAt, nameAt, idAt, sizeAt, edgeCountAt] = ['type', 'name', 'id', 'self_size', 'edge_count'].map(
    at,
  );
  const eTypeAt = edge_fields.indexOf('type');
  const eNameAt = edge_fields.indexOf('name_or_index');
  const eToAt = edge_fields.indexOf('to_node');
  const count = raw.nodes.length / nw;
  const id = new Uint32Array(count);
  const size = new Uint32Array(count);
  const kind: string[] = new Array(count);
  const firstEdge = new Uint32Array(count + 1);
  for (let n = 0, e = 0; n < count; n++) {
    const b = n * nw;
    const type = nTypes[raw.nodes[b + typeAt!]!]!;
    kind[n] = nodeKind(type, raw.strings[raw.nodes[b + nameAt!]!]);
    id[n] = raw.nodes[b + idAt!]!;
    size[n] = raw.nodes[b + sizeAt!]!;
    firstEdge[n] = e;
    e += raw.nodes[b + edgeCountAt!]! * ew;
    firstEdge[n + 1] = e;
  }
  const parent = new Int32Array(count).fill(-1);
  const via: string[] = new Array(count);
  const seen = new Uint8Array(count);
  const queue = new Int32Array(count);
  let head = 0;
  let tail = 0;
  queue[tail++] = 0;
  seen[0] = 1;
  while (head < tail) {
    const n = queue[head++]!;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e += ew) {
      const eType = eTypes[edges[e + eTypeAt]!]!;
      if (eType === 'weak' || eType === 'shortcut') continue;
      const to = edges[e + eToAt]! / nw;
      if (seen[to]) continue;
      seen[to] = 1;
      parent[to] = n;
      const name = edges[e + eNameAt]!;
      via[to] = eType === 'element' || eType === 'hidden' ? `[${name}]` : String(raw.strings[name]);
      queue[tail++] = to;
    }
  }
  return { count, id, size, kind, parent, via };
}

const EMBEDDER = /^(native:|synthetic)/;
/** V8's own objects: compiled code and its tables, feedback, maps and their dependent-code lists. */
const V8_OWN = /^(code:|hidden:system \/|object shape$)/;

/** Whether a kind (nodeKind) is V8's own: compiled code and its tables, feedback, shapes. */
export function isV8Own(kind: string): boolean {
  return V8_OWN.test(kind);
}

/**
 * Indexes of the nodes of `later` whose ids are not in `earlier` and are in every one of `after`.
 * Only V8 heap objects: the embedder's nodes (Node's native objects, synthetic roots) get new ids in
 * every snapshot, so they would all look new.
 */
export function survivors(earlier: HeapGraph, later: HeapGraph, after: HeapGraph[]): number[] {
  const before = new Set(earlier.id);
  const still = after.map((g) => new Set(g.id));
  const out: number[] = [];
  for (let n = 0; n < later.count; n++) {
    const id = later.id[n]!;
    if (EMBEDDER.test(later.kind[n]!)) continue;
    if (!before.has(id) && still.every((s) => s.has(id))) out.push(n);
  }
  return out;
}

/** The retaining path of node n, root first, as "kind.edge" steps. */
export function pathTo(g: HeapGraph, n: number, maxSteps = 14): string {
  const steps: string[] = [];
  for (let cur = n; g.parent[cur]! >= 0 && steps.length < maxSteps; cur = g.parent[cur]!)
    steps.push(`${g.kind[g.parent[cur]!]} -[${g.via[cur]}]->`);
  return `${steps.reverse().join('\n      ')}\n      ${g.kind[n]}`;
}

function bytesByKind(g: HeapGraph, nodes: number[]): [string, number][] {
  const by = new Map<string, number>();
  for (const n of nodes) by.set(g.kind[n]!, (by.get(g.kind[n]!) ?? 0) + g.size[n]!);
  return [...by].sort((a, b) => b[1] - a[1]);
}

function main(): void {
  const args = snapshotArgs(process.argv.slice(2), 20);
  if (!args) {
    process.stderr.write('usage: heapSurvivors a.heapsnapshot b.heapsnapshot [more…] [--top n]\n');
    process.exit(2);
  }
  const { files, top } = args;
  const graphs = files.map((f) => readGraph(JSON.parse(readFileSync(f, 'utf8')) as RawSnapshot));
  // Each interval: what was created in it and is still alive in the next snapshot, so that
  // intervals compare alike; split into V8's compiled code and metadata, and everything else.
  const totals = graphs.map((g) => g.size.reduce((s, x, n) => (EMBEDDER.test(g.kind[n]!) ? s : s + x), 0));
  for (let i = 1; i < graphs.length - 1; i++) {
    const g = graphs[i]!;
    const kept = survivors(graphs[i - 1]!, g, [graphs[i + 1]!]);
    const v8 = kept.filter((n) => isV8Own(g.kind[n]!));
    const kb = (ns: number[]) => (ns.reduce((s, n) => s + g.size[n]!, 0) / 1024).toFixed(1);
    process.stdout.write(
      `interval ${i} (${files[i - 1]} → ${files[i]}): heap ${((totals[i]! - totals[i - 1]!) / 1024).toFixed(1)} KB net; created and alive in the next snapshot: ${kb(kept)} KB in ${kept.length} objects, of which V8 code and metadata ${kb(v8)} KB, the rest ${kb(kept.filter((n) => !isV8Own(g.kind[n]!)))} KB\n`,
    );
    for (const [k, b] of bytesByKind(g, kept).slice(0, 6))
      process.stdout.write(`    ${String(b).padStart(9)} B  ${k}\n`);
  }
  const g = graphs[1]!;
  const kept = survivors(graphs[0]!, g, graphs.slice(2));
  const groups = new Map<string, number[]>();
  for (const n of kept) {
    const group = groups.get(g.kind[n]!);
    if (group) group.push(n);
    else groups.set(g.kind[n]!, [n]);
  }
  const rows = [...groups].map(([k, ns]) => ({ k, ns, bytes: ns.reduce((s, n) => s + g.size[n]!, 0) }));
  rows.sort((a, b) => b.bytes - a.bytes);
  process.stdout.write(`\nobjects of interval 1 alive in every later snapshot, by kind (top ${top}):\n`);
  for (const r of rows.slice(0, top)) {
    process.stdout.write(`${String(r.bytes).padStart(10)} B  ${String(r.ns.length).padStart(6)}  ${r.k}\n`);
  }
  process.stdout.write('\nwhat retains a sample of each of the top groups:\n');
  for (const r of rows.slice(0, Math.min(top, 10))) {
    process.stdout.write(
      `\n  ${r.k} (${r.ns.length}):\n      ${pathTo(g, r.ns[Math.floor(r.ns.length / 2)]!)}\n`,
    );
  }
}

if (process.argv[1]?.endsWith('heapSurvivors.ts') || process.argv[1]?.endsWith('heapSurvivors.js')) main();
