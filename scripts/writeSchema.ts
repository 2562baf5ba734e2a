import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigJsonSchema } from '../agent/config/jsonSchema.js';

/**
 * Writes config/schema.json from the zod schema (`npm run schema`, or `npx tsx scripts/writeSchema.ts`).
 * An optional argument names another output file. Runs from scripts/ (tsx) or dist-tools/scripts/ (built),
 * so the package root is found by looking for package.json rather than assumed.
 */

function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
const target = process.argv[2] ? resolve(process.argv[2]) : join(root, 'config', 'schema.json');
writeFileSync(target, renderConfigJsonSchema());
console.log(`wrote ${relative(process.cwd(), target) || target}`);
