import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from 'yaml';
import type { ConfigPath } from './configErrors.js';

/**
 * Maps a setting path (as zod reports it) back to the YAML node it came from, so that every problem
 * can name the line and column to edit. Works on the parsed document, which keeps node ranges.
 */

export interface NodeAt {
  /** The node at the path or, when the path leads nowhere (a missing key), the deepest node found. */
  node: Node | undefined;
  /** The key node of the last path segment when that segment named an existing map entry. */
  keyNode: Node | undefined;
  /** Whether the whole path resolved. */
  exact: boolean;
}

// Guards against merge keys that (through aliases) point back at themselves.
const MAX_MERGE_DEPTH = 16;

export function nodeAt(doc: Document, path: ConfigPath): NodeAt {
  let current: unknown = doc.contents ?? undefined;
  let keyNode: Node | undefined;
  for (const seg of path) {
    const here = deref(doc, current);
    keyNode = undefined;
    let next: unknown;
    if (isMap(here)) {
      const pair = findPair(doc, here, String(seg), 0);
      if (pair) {
        keyNode = isNode(pair.key) ? pair.key : undefined;
        // `key:` with nothing after it still has a (null) value node; fall back to the key if not.
        next = isNode(pair.value) ? pair.value : keyNode;
      }
    } else if (isSeq(here) && typeof seg === 'number') {
      next = here.items[seg];
    }
    if (!isNode(next)) return { node: isNode(here) ? here : undefined, keyNode: undefined, exact: false };
    current = next;
  }
  const node = deref(doc, current);
  return { node: isNode(node) ? node : undefined, keyNode, exact: true };
}

/** 1-based line and column of a node's start; 1:1 when the node is unknown (e.g. an empty file). */
export function positionOf(
  node: Node | undefined,
  lineCounter: LineCounter,
): { line: number; column: number } {
  const start = node?.range?.[0];
  if (start === undefined) return { line: 1, column: 1 };
  const { line, col } = lineCounter.linePos(start);
  return { line, column: col };
}

/** The source text of a node as written (for hints such as "put it in quotes"). */
export function sourceOf(node: Node | undefined, text: string): string | undefined {
  const range = node?.range;
  return range ? text.slice(range[0], range[1]) : undefined;
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

function deref(doc: Document, value: unknown): unknown {
  return isAlias(value) ? (value.resolve(doc) ?? value) : value;
}

/** Key text as zod sees it after `toJS()`: object keys are strings, so `0:` is "0". */
function keyText(key: unknown): string | undefined {
  if (!isScalar(key) || typeof key.value === 'symbol') return undefined;
  return String(key.value);
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (key.value === '<<' || typeof key.value === 'symbol');
}

/**
 * The entry for `key`: the map's own entry first, then entries brought in by `<<: *anchor` merge
 * keys, where the value (and so the line to edit) is in the anchored mapping.
 */
function findPair(doc: Document, map: Node, key: string, depth: number): Pair | undefined {
  if (!isMap(map) || depth > MAX_MERGE_DEPTH) return undefined;
  for (const pair of map.items) if (keyText(pair.key) === key && !isMergeKey(pair.key)) return pair;
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue;
    const source = deref(doc, pair.value);
    const sources = isSeq(source) ? source.items.map((s) => deref(doc, s)) : [source];
    for (const s of sources) {
      const found = isNode(s) ? findPair(doc, s, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}
