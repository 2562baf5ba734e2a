/**
 * Issue 14: the CLI for daily use, as a technician types it (the BUILT CLI, child processes):
 * one exit-code convention for every command (0 done, 1 failed, 2 usage or configuration), the
 * default configuration path ($STATION_AGENT_CONFIG, then /etc/station-agent/station.yaml),
 * --version, and "did you mean" for ids typed on the command line.
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/core/log.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { runAgentCli } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { nutrientDevice, tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const DEFAULT_CONFIG = '/etc/station-agent/station.yaml';
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const station = tempStation();
/** Valid; its store was never created; its status port and device port have nobody listening. */
let good: string;
let broken: string;
let noHttp: string;
/** storage.path below a regular file: `run` cannot open its store. */
let unopenable: string;

beforeAll(async () => {
  const closed = await freePort();
  const statusPort = await freePort();
  good = station.configPath;
  writeYaml(good, {
    version: 1,
    station: { id: 'EXIT-IT', timezone: 'Asia/Shanghai' },
    storage: { path: station.dbPath },
    http: { listen: `127.0.0.1:${statusPort}` },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: closed, timeout: '200ms' }],
    devices: [nutrientDevice('lan', '10s'), { ...nutrientDevice('lan', '10s', 'sonde'), unit: 1 }],
  });
  broken = join(station.dir, 'broken.yaml');
  writeFileSync(broken, 'version: 1\nstation: { id: "X" }\nstorage: { path: ./x.db }\nbuses: 7\n');
  noHttp = join(station.dir, 'no-http.yaml');
  writeYaml(noHttp, {
    version: 1,
    station: { id: 'EXIT-IT' },
    storage: { path: station.dbPath },
    http: { enabled: false },
  });
  const file = join(station.dir, 'a-file');
  writeFileSync(file, '');
  unopenable = join(station.dir, 'unopenable.yaml');
  writeYaml(unopenable, {
    version: 1,
    station: { id: 'EXIT-IT' },
    storage: { path: join(file, 'agent.db') },
    http: { enabled: false },
  });
});
afterAll(() => station.remove());

/** The CLI with $STATION_AGENT_CONFIG unset unless given: the tests' own environment must not leak in. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const p = runAgentCli(args, { STATION_AGENT_CONFIG: undefined, ...env });
  const code = await p.exited;
  return { code, out: p.output() };
}

interface Case {
  args: () => string[];
  code: number;
  says: string | RegExp;
}

const STORE_MISSING = /no database at .*agent\.db \(storage\.path\)/;

/** Per command: usage errors exit 2, failures of the station exit 1, each with what the user reads. */
const CASES: Record<string, Case[]> = {
  '(no command)': [
    { args: () => [], code: 2, says: 'Usage: station-agent' },
    { args: () => ['bogus'], code: 2, says: "unknown command 'bogus'" },
  ],
  run: [
    { args: () => ['run', '--config', good, '--bogus'], code: 2, says: "unknown option '--bogus'" },
    { args: () => ['run', '--config', broken], code: 2, says: 'the agent did not start' },
    { args: () => ['run', '--config', unopenable], code: 1, says: 'station-agent: cannot start' },
  ],
  validate: [
    { args: () => ['validate', '--config', broken], code: 2, says: /broken\.yaml:4:\d+\s+buses/ },
    { args: () => ['validate', '--config'], code: 2, says: "option '-c, --config <file>' argument missing" },
  ],
  scan: [
    { args: () => ['scan'], code: 2, says: 'give --port <path> or --tcp <host:port>' },
    { args: () => ['scan', '--port', '/dev/ttyUSB0', '--units', '7-3'], code: 2, says: 'runs backwards' },
    { args: () => ['scan', '--port', '/dev/ttyUSB0', '--units', '0'], code: 2, says: 'broadcast address' },
    {
      args: () => ['scan', '--port', '/dev/ttyUSB-missing-14', '--units', '1'],
      code: 1,
      says: '/dev/ttyUSB-missing-14 does not exist',
    },
  ],
  read: [
    { args: () => ['read', '--config', good], code: 2, says: "required option '-d, --device <id>'" },
    {
      args: () => ['read', '--config', good, '--device', 'nutrient', '--interval', 'fast'],
      code: 2,
      says: 'expected a duration such as 500ms, 2s or 1m',
    },
    { args: () => ['read', '--config', good, '--device', 'nutrient'], code: 1, says: 'cannot connect' },
  ],
  ports: [{ args: () => ['ports', '--bogus'], code: 2, says: "unknown option '--bogus'" }],
  export: [
    {
      args: () => ['export', '--config', good, '--to', '2026-11-02'],
      code: 2,
      says: "required option '--from <time>'",
    },
    {
      args: () => ['export', '--config', good, '--from', 'yesterday', '--to', '2026-11-02'],
      code: 2,
      says: 'yesterday',
    },
    {
      args: () => [
        'export',
        '--config',
        good,
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-02',
        '--kind',
        'week',
      ],
      code: 2,
      says: "argument 'week' is invalid",
    },
    {
      args: () => ['export', '--config', good, '--from', '2026-11-01', '--to', '2026-11-02'],
      code: 1,
      says: STORE_MISSING,
    },
  ],
  backlog: [
    { args: () => ['backlog', '--config', good, '--jsn'], code: 2, says: "unknown option '--jsn'" },
    { args: () => ['backlog', '--config', broken], code: 2, says: 'the agent did not start' },
    { args: () => ['backlog', '--config', good], code: 1, says: STORE_MISSING },
  ],
  status: [
    { args: () => ['status', '--config', noHttp], code: 2, says: 'http.enabled is false' },
    { args: () => ['status', '--config', good], code: 1, says: 'the agent is not running' },
  ],
  reload: [
    { args: () => ['reload', '--config', broken], code: 2, says: 'not reloaded' },
    { args: () => ['reload', '--config', good], code: 1, says: 'the agent is not running' },
  ],
  audit: [
    { args: () => ['audit'], code: 2, says: 'Usage: station-agent audit' },
    {
      args: () => ['audit', 'verify', '--config', good, '--db', 'x.db'],
      code: 2,
      says: 'give either --config',
    },
    {
      args: () => ['audit', 'show', '--config', good, '--limit', '0'],
      code: 2,
      says: 'positive whole number',
    },
    { args: () => ['audit', 'verify', '--config', good], code: 1, says: STORE_MISSING },
  ],
};

describe('exit codes of every command (built CLI)', () => {
  it.each(Object.keys(CASES))('%s: 2 for usage and configuration errors, 1 for failures', async (name) => {
    for (const c of CASES[name]!) {
      const args = c.args();
      const { code, out } = await cli(args);
      const label = `station-agent ${args.join(' ')}\n${out}`;
      expect(code, label).toBe(c.code);
      if (typeof c.says === 'string') expect(out, label).toContain(c.says);
      else expect(out, label).toMatch(c.says);
      // No stack trace, whatever went wrong.
      expect(out, label).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
  });

  it('points to --help after a usage error', async () => {
    const { code, out } = await cli(['export', '--config', good, '--from', '2026-11-01']);
    expect(code).toBe(2);
    expect(out).toContain('(run "station-agent export --help" for usage and examples)');
  });
});

describe('did you mean', () => {
  it('read -d sond: did you mean "sonde"?', async () => {
    const { code, out } = await cli(['read', '--config', good, '-d', 'sond']);
    expect(code).toBe(2);
    expect(out).toContain(`station-agent: no device "sond" in ${good} (devices: nutrient, sonde)`);
    expect(out).toContain('  hint: did you mean "sonde"?');
  });

  it('export --channel: the stored channel nearest to a typo, or of the same name without its device', async () => {
    const stored = tempStation();
    try {
      writeYaml(stored.configPath, {
        version: 1,
        station: { id: 'EXIT-IT', timezone: 'Asia/Shanghai' },
        storage: { path: stored.dbPath },
      });
      const db = openDatabase({ path: stored.dbPath, log: silentLogger() });
      const ts = Date.UTC(2026, 9, 31, 16, 0);
      new ReadingStore({ db }).append([
        { ts, device: 'nutrient', channel: 'cod', code: 'w01018', unit: 'mg/L', value: 1, flag: 'N' },
        { ts, device: 'sonde', channel: 'cond', code: 'w01014', unit: null, value: 2, flag: 'N' },
      ]);
      db.close();
      const range = ['--from', '2026-11-01', '--to', '2026-11-02'];
      const typo = await cli(['export', '--config', stored.configPath, ...range, '--channel', 'sonde/cnd']);
      expect(typo.code).toBe(2);
      expect(typo.out).toContain('no channel sonde/cnd in the store (stored: nutrient/cod, sonde/cond)');
      expect(typo.out).toContain('  hint: did you mean "sonde/cond"?');
      const bare = await cli(['export', '--config', stored.configPath, ...range, '--channel', 'cod']);
      expect(bare.code).toBe(2);
      expect(bare.out).toContain('--channel expects device/channel, got "cod"');
      expect(bare.out).toContain('  hint: did you mean "nutrient/cod"?');
    } finally {
      stored.remove();
    }
  });

  it('an id far from every device gets the list, not a guess', async () => {
    const { code, out } = await cli(['read', '--config', good, '-d', 'turbidity']);
    expect(code).toBe(2);
    expect(out).toContain('(devices: nutrient, sonde)');
    expect(out).not.toContain('did you mean');
  });
});

describe('default configuration path', () => {
  it('reads $STATION_AGENT_CONFIG when --config is not given', async () => {
    const { code, out } = await cli(['validate'], { STATION_AGENT_CONFIG: good });
    expect(code, out).toBe(0);
    expect(out).toContain(`${good}: valid — station EXIT-IT`);
  });

  it('an explicit --config wins over $STATION_AGENT_CONFIG', async () => {
    const { code, out } = await cli(['validate', '--config', broken], { STATION_AGENT_CONFIG: good });
    expect(code).toBe(2);
    expect(out).toContain('broken.yaml:4');
  });

  it('a $STATION_AGENT_CONFIG naming no file: what was tried, how to give one, exit 2', async () => {
    const missing = join(station.dir, 'nowhere.yaml');
    const { code, out } = await cli(['backlog'], { STATION_AGENT_CONFIG: missing });
    expect(code).toBe(2);
    expect(out).toContain(`$STATION_AGENT_CONFIG = ${missing}: no such file`);
    expect(out).toContain('Give one with --config FILE');
  });

  it(`without either, ${DEFAULT_CONFIG}`, async () => {
    const { code, out } = await cli(['validate']);
    expect(out).toContain(DEFAULT_CONFIG);
    // The test machine is no installed station: the fallback must be seen failing, with its message.
    expect(existsSync(DEFAULT_CONFIG), `needs a machine without ${DEFAULT_CONFIG}`).toBe(false);
    expect(code).toBe(2);
    expect(out).toContain('$STATION_AGENT_CONFIG: not set');
    expect(out).toContain(`${DEFAULT_CONFIG}: no such file`);
    expect(out).toContain('Give one with --config FILE');
    expect(out).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.each([['read'], ['backlog'], ['audit show']])('%s --help names the default', async (cmd) => {
    const { code, out } = await cli([...cmd.split(' '), '--help']);
    expect(code).toBe(0);
    expect(out.replace(/\s+/g, ' ')).toContain(
      'default: $STATION_AGENT_CONFIG, else /etc/station-agent/station.yaml',
    );
  });
});

describe('--version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version, exit 0', async (flag) => {
    const { code, out } = await cli([flag]);
    expect(code).toBe(0);
    expect(out).toBe(`${PACKAGE.version}\n`);
  });
});
