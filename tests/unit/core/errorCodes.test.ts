import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UPLINK_PLUGINS } from '../../../agent/app/plugins.js';
import { ERROR_CODES } from '../../../agent/core/errors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');

describe('error codes', () => {
  it.each(Object.keys(ERROR_CODES))('%s is documented in docs/errors.md', (code) => {
    expect(doc).toContain(`| \`${code}\` |`);
  });

  it('documents no code the agent does not have', () => {
    const documented = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});

/** The source files of each uplink plugin (agent/app/plugins.ts), by the layout docs/architecture.md gives. */
const UPLINK_SOURCES: Record<keyof typeof UPLINK_PLUGINS, string[]> = {
  mqtt: sources('agent/uplink', (f) => /^mqtt[^/]*\.ts$/.test(f)),
  hj212: sources('agent/uplink/hj212', () => true),
};

function sources(dir: string, keep: (file: string) => boolean): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && keep(f))
    .map((f) => join(ROOT, dir, f));
}

/** Every stable code a file names as a string literal ('UPLINK_AUTH_FAILED'). */
function codesNamedIn(files: readonly string[]): string[] {
  const codes = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'([A-Z0-9_]+)'/g)) {
      if (m[1]! in ERROR_CODES) codes.add(m[1]!);
    }
  }
  return [...codes].sort();
}

describe.each(Object.values(UPLINK_PLUGINS))('the $type uplink plugin', (plugin) => {
  it('lists error codes, each documented in docs/errors.md', () => {
    expect(plugin.errorCodes.length).toBeGreaterThan(0);
    for (const code of plugin.errorCodes) expect(doc).toContain(`| \`${code}\` |`);
  });

  it('lists every code its source raises', () => {
    const files = UPLINK_SOURCES[plugin.type];
    expect(files.length).toBeGreaterThan(0);
    expect(codesNamedIn(files)).toEqual([...new Set(plugin.errorCodes)].sort());
  });
});
