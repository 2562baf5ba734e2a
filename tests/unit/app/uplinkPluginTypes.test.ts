import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Issue 15: leaving out a required part of an uplink plugin is a compile error. The type test
 * (tests/types/uplinkPlugin.typetest.ts) marks each such mistake with `@ts-expect-error`; here tsc
 * checks it on its own (it passes only if every marked line is an error), and once more with the
 * markers removed, where the errors must be the ones the markers promise.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TYPE_TEST = join(ROOT, 'tests/types/uplinkPlugin.typetest.ts');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const tmp = mkdtempSync(join(tmpdir(), 'sa-plugin-types-'));
// The copy is an ES module, like the project's files.
writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Type-checks one file with the project's compiler options; returns tsc's exit code and output. */
function typeCheck(file: string): { code: number | null; out: string } {
  const project = join(tmp, `tsconfig-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    project,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: {
        noEmit: true,
        incremental: false,
        rootDir: '/',
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      include: [file],
    }),
  );
  const r = spawnSync(process.execPath, [TSC, '-p', project], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

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
    const file = join(tmp, 'uplinkPlugin.stripped.ts');
    writeFileSync(file, stripped);
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
