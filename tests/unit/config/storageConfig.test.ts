import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../agent/config/load.js';
import { parseSize } from '../../../agent/config/storageSchema.js';

const DAY = 86_400_000;

function load(storageYaml: string) {
  const text = `version: 1\nstation:\n  id: s1\nstorage:\n  path: ./agent.db\n${storageYaml}`;
  return loadConfigText(text, 'storage.yaml', {});
}

describe('storage settings', () => {
  it('defaults: 2GB cap, 256MB free-disk floor, 90 days of readings, 3 years of aggregates', () => {
    const r = load('');
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.storage).toEqual({
      path: './agent.db',
      synchronous: 'full',
      commitWindow: 100,
      maxSize: 2 * 1024 ** 3,
      minFreeDisk: 256 * 1024 ** 2,
      retention: { readings: 90 * DAY, aggregates: 1095 * DAY },
      checkInterval: 60_000,
    });
  });

  it('takes sizes with a unit or in bytes, and durations', () => {
    const r = load(
      '  maxSize: 500MB\n  minFreeDisk: 1048576\n  retention: { readings: 30d, aggregates: 365d }\n  checkInterval: 10s\n',
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.storage).toMatchObject({
      maxSize: 500 * 1024 ** 2,
      minFreeDisk: 1024 ** 2,
      retention: { readings: 30 * DAY, aggregates: 365 * DAY },
      checkInterval: 10_000,
    });
    expect([parseSize('64KB'), parseSize('2GB'), parseSize('1.5 MB'), parseSize('2 parsecs')]).toEqual([
      65_536,
      2 * 1024 ** 3,
      1.5 * 1024 ** 2,
      undefined,
    ]);
  });

  it('reports bad values with their line and setting path', () => {
    const r = load('  maxSize: 2 gigs\n  minFreeDisk: 10KB\n  retention:\n    readings: 1h\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '6 storage.maxSize: expected a size such as "64KB", "500MB" or "2GB", or bytes (got "2 gigs")',
      '9 storage.retention.readings: expected a duration between 1d and 36500d (got "1h")',
    ]);
  });

  it('takes a commit window from 0 (every poll at once) up to 1s', () => {
    const zero = load('  commitWindow: 0ms\n');
    const quarter = load('  commitWindow: 250ms\n');
    if (!zero.ok || !quarter.ok) throw new Error('expected both to load');
    expect([zero.config.storage.commitWindow, quarter.config.storage.commitWindow]).toEqual([0, 250]);
    const long = load('  commitWindow: 2s\n');
    expect(long.ok ? [] : long.problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '6 storage.commitWindow: expected a duration between 0s and 1s (got "2s")',
    ]);
  });

  it('refuses a cap too small for the schema itself', () => {
    const r = load('  maxSize: 1KB\n');
    expect(r.ok ? [] : r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'storage.maxSize: expected a size between 64KB and 16TB (got "1KB")',
    ]);
  });
});
