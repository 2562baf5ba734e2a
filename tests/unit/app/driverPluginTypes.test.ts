import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { typeChecker } from '../../helpers/typeCheck.js';

/**
 * Issue 15: leaving out a required part of a driver plugin, or a bus type without its builder in
 * the list, is a compile error. The type test (tests/types/driverPlugin.typetest.ts) marks each such
 * mistake with `@ts-expect-error`; here tsc checks it on its own (it passes only if every marked
 * line is an error), and once more with the markers removed, where the errors must be the ones the
 * markers promise.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TYPE_TEST = join(ROOT, 'tests/types/driverPlugin.typetest.ts');
const checker = typeChecker(ROOT);
afterAll(() => checker.dispose());

describe('the driver plugin seam (type level)', () => {
  it('every marked mistake is a compile error', () => {
    const r = checker.check(TYPE_TEST);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('without the markers, tsc names each missing member and the uncovered bus types', () => {
    const stripped = readFileSync(TYPE_TEST, 'utf8')
      .replace(/^\s*\/\/ @ts-expect-error.*$/gm, '')
      .replaceAll("'../../", `'${ROOT}`);
    const r = checker.check(checker.write('driverPlugin.stripped.ts', stripped));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Property 'createSource' is missing/);
    expect(r.out).toMatch(/Property 'errorCodes' is missing/);
    expect(r.out).toMatch(/Property 'cli' is missing/);
    expect(r.out).toMatch(/Property 'stop' is missing/);
    expect(r.out).toMatch(/missingBusTypes/);
    // One error per marker, no more: the complete list still compiles.
    expect(r.out.match(/error TS\d+/g)?.length).toBe(7);
  });
});
