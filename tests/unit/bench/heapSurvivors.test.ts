import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isV8Own, pathTo, readGraph, survivors } from '../../../scripts/bench/heapSurvivors.js';

// A real process writes three real snapshots: 100 Kept objects held in a Map between the first and
// the second, 100 more between the second and the third, and Dropped objects that become garbage.
const PROGRAM = `
import { writeHeapSnapshot } from 'node:v8';
class Kept { constructor(i) { this.i = i; } }
class Dropped { constructor(i) { this.i = i; } }
const keep = new Map();
globalThis.holder = { keep };
let n = 0;
const step = () => { for (let k = 0; k < 100; k++) { keep.set(n, new Kept(n)); new Dropped(n); n++; } };
const dir = process.argv[1];
writeHeapSnapshot(dir + '/a.heapsnapshot');
step(); writeHeapSnapshot(dir + '/b.heapsnapshot');
step(); writeHeapSnapshot(dir + '/c.heapsnapshot');
`;

describe('heapSurvivors (what a process kept from an interval)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heap-survivors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync(process.execPath, ['--input-type=module', '-e', PROGRAM, dir]);
  const [a, b, c] = ['a', 'b', 'c'].map((f) =>
    readGraph(JSON.parse(readFileSync(join(dir, `${f}.heapsnapshot`), 'utf8'))),
  );

  it('finds exactly the objects created in the interval and still alive later, not garbage', () => {
    const kept = survivors(a!, b!, [c!]);
    const kinds = kept.map((n) => b!.kind[n]);
    expect(kinds.filter((k) => k === 'object:Kept')).toHaveLength(100);
    expect(kinds).not.toContain('object:Dropped');
    // The second interval's Kept objects did not exist yet in b.
    expect(survivors(b!, c!, []).filter((n) => c!.kind[n] === 'object:Kept')).toHaveLength(100);
  });

  it('names what retains a survivor: the Map under the variable that holds it', () => {
    const kept = survivors(a!, b!, [c!]).find((n) => b!.kind[n] === 'object:Kept')!;
    const path = pathTo(b!, kept);
    expect(path).toMatch(/-\[keep\]->\s+object:Map -\[table\]->/);
    expect(path.trim().endsWith('object:Kept')).toBe(true);
  });

  it('counts compiled code and its tables as V8’s own, the program’s objects as the rest', () => {
    const kinds = new Set<string>();
    for (let n = 0; n < c!.count; n++) kinds.add(c!.kind[n]!);
    const v8 = [...kinds].filter(isV8Own);
    expect(v8.some((k) => k.startsWith('code:'))).toBe(true);
    expect(v8.some((k) => k === 'object shape')).toBe(true);
    expect(v8.filter((k) => k.startsWith('object:') || k === 'string' || k === 'array')).toEqual([]);
    expect(isV8Own('object:Kept')).toBe(false);
  });
});
