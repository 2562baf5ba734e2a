import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The DL/T 645 protocol layer imports node built-ins, zod, its own files and the agent's contract
 * (agent/core: errors, readings, poll results for the driver plugin), never the rest of the agent,
 * other drivers, scripts or tests.
 */
const DIR = new URL('../../../drivers/dlt645/', import.meta.url);

describe('drivers/dlt645 layering', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

  it.each(files)('%s imports only node built-ins, zod, its own folder and agent/core', (file) => {
    const text = readFileSync(new URL(file, DIR), 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
    const foreign = specifiers.filter(
      (s) =>
        !(
          s.startsWith('node:') ||
          s === 'zod' ||
          /^\.\/[\w.]+\.js$/.test(s) ||
          /^\.\.\/\.\.\/agent\/core\/[\w.]+\.js$/.test(s)
        ),
    );
    expect(foreign).toEqual([]);
  });
});
