import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The listener is protocol code meant to drop into the driver plugin seam unchanged: it imports
 * only its own folder, node built-ins and serialport, never the agent (store, config, uplinks) nor
 * tools or tests. And no file of it can write to a port: nothing calls write on one.
 */
const DIR = fileURLToPath(new URL('../../../drivers/modbus/listen/', import.meta.url));

describe('drivers/modbus/listen layering', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

  it('has files to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  it.each(files)('%s imports only its folder, node built-ins and serialport', (file) => {
    const source = readFileSync(DIR + file, 'utf8');
    const specifiers = [...source.matchAll(/^import[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);
    const foreign = specifiers.filter(
      (s) => !(/^\.\/[A-Za-z]+\.js$/.test(s) || s.startsWith('node:') || s === 'serialport'),
    );
    expect(foreign).toEqual([]);
  });

  it.each(files)('%s never writes to a port', (file) => {
    const source = readFileSync(DIR + file, 'utf8');
    expect(source).not.toMatch(/\.(write|drain)\(/);
  });
});
