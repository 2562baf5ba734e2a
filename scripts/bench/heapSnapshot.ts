/** What heapDiff and heapSurvivors share: the snapshot's layout, how a node is named, the arguments. */

/** The JSON V8 writes (v8.writeHeapSnapshot): flat arrays described by `meta`. */
export interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields?: string[];
      edge_types?: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges?: number[];
  strings: string[];
}

/**
 * The kind a node is counted under: objects, closures and native objects by constructor or function
 * name, V8's internal (hidden, code) objects by their name, which says what they are ("(code deopt
 * data)", "system / FeedbackVector"); strings, arrays and numbers by type, since their names are values.
 */
export function nodeKind(type: string, name: string | undefined): string {
  if (type === 'object' || type === 'closure' || type === 'native') return `${type}:${name}`;
  if (type === 'hidden' || type === 'code') return `${type}:${name?.slice(0, 40)}`;
  return type;
}

/** `a b [c …] [--top n]`: the snapshot files and how many rows to print; null when fewer than two files. */
export function snapshotArgs(args: string[], defaultTop: number): { files: string[]; top: number } | null {
  const topAt = args.indexOf('--top');
  const top = topAt === -1 ? defaultTop : Number(args[topAt + 1]);
  const files = args.filter((_, i) => topAt === -1 || (i !== topAt && i !== topAt + 1));
  return files.length < 2 ? null : { files, top };
}
