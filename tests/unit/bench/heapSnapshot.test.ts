import { describe, expect, it } from 'vitest';
import { nodeKind, snapshotArgs } from '../../../scripts/bench/heapSnapshot.js';

describe('snapshotArgs (heapDiff and heapSurvivors)', () => {
  it('keeps every file when there is no --top (heapDiff once dropped the first)', () => {
    expect(snapshotArgs(['a', 'b', 'c'], 25)).toEqual({ files: ['a', 'b', 'c'], top: 25 });
  });

  it('takes --top and its value out of the files, wherever it stands', () => {
    expect(snapshotArgs(['a', '--top', '5', 'b'], 25)).toEqual({ files: ['a', 'b'], top: 5 });
    expect(snapshotArgs(['--top', '7', 'a', 'b'], 25)).toEqual({ files: ['a', 'b'], top: 7 });
  });

  it('refuses fewer than two files', () => {
    expect(snapshotArgs(['a'], 25)).toBeNull();
    expect(snapshotArgs(['a', '--top', '3'], 25)).toBeNull();
  });
});

describe('nodeKind', () => {
  it('names objects by constructor, V8 internals by name, values by type', () => {
    expect(nodeKind('object', 'Map')).toBe('object:Map');
    expect(nodeKind('code', '(code deopt data)')).toBe('code:(code deopt data)');
    expect(nodeKind('hidden', 'system / WeakArrayList')).toBe('hidden:system / WeakArrayList');
    expect(nodeKind('string', 'hello')).toBe('string');
  });
});
