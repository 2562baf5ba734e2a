import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs tsc on one file with the project's compiler options, for the type tests of the plugin seams
 * (tests/types/*.typetest.ts). Files written with write() land in a temporary ES-module directory.
 */
export function typeChecker(root: string) {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const tmp = mkdtempSync(join(tmpdir(), 'sa-plugin-types-'));
  // The copies are ES modules, like the project's files.
  writeFileSync(join(tmp, 'package.json'), '{ "type": "module" }\n');
  return {
    write(name: string, text: string): string {
      const file = join(tmp, name);
      writeFileSync(file, text);
      return file;
    },
    check(file: string): { code: number | null; out: string } {
      const project = join(tmp, `tsconfig-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(
        project,
        JSON.stringify({
          extends: join(root, 'tsconfig.json'),
          compilerOptions: {
            noEmit: true,
            incremental: false,
            rootDir: '/',
            typeRoots: [join(root, 'node_modules/@types')],
          },
          include: [file],
        }),
      );
      const r = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', timeout: 180_000 });
      return { code: r.status, out: `${r.stdout}${r.stderr}` };
    },
    dispose(): void {
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
