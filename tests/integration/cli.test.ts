import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAgentCli } from '../../scripts/support/agentProcess.js';
import { tempStation } from '../../scripts/support/stationFixture.js';

const EXAMPLES = fileURLToPath(new URL('../../config/examples/', import.meta.url));
const BROKEN = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

async function cli(args: string[]) {
  const p = runAgentCli(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('station-agent CLI', () => {
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  it('has example configs to check', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples)('validate accepts config/examples/%s with exit code 0', async (file) => {
    const { code, out } = await cli(['validate', '--config', join(EXAMPLES, file)]);
    expect(out).toContain('valid');
    expect(code).toBe(0);
  });

  it('validate rejects a broken file with exit code 2, the line number and no stack trace', async () => {
    const tmp = tempStation();
    try {
      // Line 6 holds the wrong register type.
      const text = [
        'version: 1',
        'station: { id: "320700W001" }',
        'storage: { path: ./data/x.db }',
        'buses: [{ id: lan, type: tcp, host: 127.0.0.1 }]',
        'devices:',
        '  - { id: d, bus: lan, interval: 10s, channels: [{ id: c, register: { table: input, address: 0, type: float } }] }',
      ].join('\n');
      writeFileSync(tmp.configPath, text);
      const { code, out } = await cli(['validate', '--config', tmp.configPath]);
      expect(code).toBe(2);
      expect(out).toMatch(/station\.yaml:6:\d+\s+devices\[0\]\.channels\[0\]\.register\.type/);
      expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
    } finally {
      tmp.remove();
    }
  });

  it('validate reports every broken fixture with its line, exit code 2', async () => {
    const files = readdirSync(BROKEN).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files.slice(0, 4)) {
      const { code, out } = await cli(['validate', '--config', join(BROKEN, file)]);
      expect(code, file).toBe(2);
      expect(out, file).toMatch(new RegExp(`${file}:\\d+:\\d+`));
    }
  });

  it('run refuses an invalid config the same way, exit code 2', async () => {
    const { code, out } = await cli(['run', '--config', join(BROKEN, readdirSync(BROKEN)[0]!)]);
    expect(code).toBe(2);
    expect(out).toContain('the agent did not start');
  });

  it('run refuses a missing file with exit code 2 naming the file', async () => {
    const { code, out } = await cli(['run', '--config', '/nonexistent/station.yaml']);
    expect(code).toBe(2);
    expect(out).toContain('/nonexistent/station.yaml');
  });

  it.each([['run'], ['validate']])('%s --help shows usage with an example', async (cmd) => {
    const { code, out } = await cli([cmd, '--help']);
    expect(code).toBe(0);
    expect(out).toContain('--config');
    expect(out).toContain('Example');
  });
});
