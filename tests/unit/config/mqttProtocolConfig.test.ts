import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../agent/config/load.js';

/** The uplink written by hand, so `3.1.1` and `5` reach the loader as YAML scalars, as a user types them. */
function load(protocolLine: string) {
  const text = [
    'version: 1',
    'station: { id: s1 }',
    'storage: { path: ./agent.db }',
    'uplinks:',
    '  - id: center',
    '    type: mqtt',
    '    url: "mqtt://127.0.0.1:1883"',
    ...(protocolLine === '' ? [] : [`    ${protocolLine}`]),
  ].join('\n');
  return loadConfigText(text, 'station.yaml', {});
}

describe('uplinks[].protocolVersion', () => {
  it.each([
    ['', 'auto'],
    ['protocolVersion: auto', 'auto'],
    ['protocolVersion: 5', '5'],
    ['protocolVersion: "5"', '5'],
    ['protocolVersion: 3.1.1', '3.1.1'],
  ])('%s -> %s', (line, expected) => {
    const r = load(line);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.config.uplinks[0]).toMatchObject({ protocolVersion: expected });
  });

  it.each(['protocolVersion: 4', 'protocolVersion: 3.1', 'protocolVersion: v5'])(
    'refuses %s with line, column, path and what is expected',
    (line) => {
      const r = load(line);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.problems).toEqual([
        expect.objectContaining({
          file: 'station.yaml',
          line: 8,
          path: 'uplinks[0].protocolVersion',
          message: expect.stringContaining('expected auto, 5 or 3.1.1'),
        }),
      ]);
    },
  );
});
