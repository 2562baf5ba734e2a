import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { typeChecker } from '../../helpers/typeCheck.js';

/**
 * Issue 15: leaving out a required part of an uplink plugin is a compile error. The type test
 * (tests/types/uplinkPlugin.typetest.ts) marks each such mistake with `@ts-expect-error`; here tsc
 * checks it on its own (it passes only if every marked line is an error), and once more with the
 * markers removed, where the errors must be the ones the markers promise.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TYPE_TEST = join(ROOT, 'tests/types/uplinkPlugin.typetest.ts');
const types = typeChecker(ROOT);
afterAll(() => types.dispose());
const typeCheck = (file: string) => types.check(file);

describe('the uplink plugin seam (type level)', () => {
  it('every marked mistake is a compile error', () => {
    const r = typeCheck(TYPE_TEST);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('without the markers, tsc names each missing part, the wrong ones, and the missing needs', () => {
    const source = readFileSync(TYPE_TEST, 'utf8');
    const markers = source.match(/^\s*\/\/ @ts-expect-error/gm)?.length ?? 0;
    const stripped = source.replace(/^\s*\/\/ @ts-expect-error.*$/gm, '').replaceAll("'../../", `'${ROOT}`);
    const file = types.write('uplinkPlugin.stripped.ts', stripped);
    const r = typeCheck(file);
    expect(r.code).not.toBe(0);
    for (const member of ['confirmedBounds', 'create', 'schema', 'backlogLines', 'errorCodes', 'hj212']) {
      expect(r.out).toMatch(new RegExp(`Property '${member}' is missing`));
    }
    expect(r.out).toMatch(/'"MQTT_OOPS"' is not assignable/);
    // The context without a plugin's need: tsc names what is missing.
    expect(r.out).toMatch(/Property 'metrics' is missing/);
    expect(r.out).toMatch(/Property 'control' is missing/);
    // One error per marker, no more: the complete list still compiles.
    expect(markers).toBe(12);
    expect(r.out.match(/error TS\d+/g)?.length).toBe(markers);
  });
});
