import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Issue 15: docs/architecture.md names files to read and to touch; each of them must exist. */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

/** Every repository path the document names: in backticks, or in a mermaid node label. */
function namedPaths(text: string): string[] {
  const found = new Set<string>();
  const path =
    /(?:^|[`"\s(>])((?:agent|drivers|scripts|tests|config|docs)\/[A-Za-z0-9_./<>-]*[A-Za-z0-9_]|\.dependency-cruiser\.cjs|tsconfig(?:\.\w+)?\.json)/g;
  // A mermaid label breaks its lines with <br/>: the path ends there.
  for (const m of text.replaceAll('<br/>', ' ').matchAll(path)) {
    const p = m[1]!;
    // Placeholders (`drivers/<protocol>/`) name a folder to create, not one that exists.
    if (!p.includes('<')) found.add(p);
  }
  return [...found].sort();
}

describe('docs/architecture.md', () => {
  it('names many files, and every one exists', () => {
    const paths = namedPaths(DOC);
    expect(paths.length).toBeGreaterThan(50);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('has the layer picture and the plugin list', () => {
    expect(DOC.match(/```mermaid/g)?.length).toBe(2);
    expect(DOC).toContain('agent/app/plugins.ts');
  });

  it('catches a file that does not exist', () => {
    expect(namedPaths('see `agent/uplink/nowhere.ts`').filter((p) => !existsSync(join(ROOT, p)))).toEqual([
      'agent/uplink/nowhere.ts',
    ]);
  });
});
