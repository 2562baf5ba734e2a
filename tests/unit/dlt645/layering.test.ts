import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The DL/T 645 protocol layer stands alone until the driver plugin seam takes it in: it imports
 * node built-ins, zod and its own files, never the agent, other drivers, scripts or tests.
 */
const DIR = new URL('../../../drivers/dlt645/', import.meta.url);

describe('drivers/dlt645 layering', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

  it.each(files)('%s imports only node built-ins, zod and its own folder', (file) => {
    const text = readFileSync(new URL(file, DIR), 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
    const foreign = specifiers.filter(
      (s) => !(s.startsWith('node:') || s === 'zod' || /^\.\/[\w.]+\.js$/.test(s)),
    );
    expect(foreign).toEqual([]);
  });
});
