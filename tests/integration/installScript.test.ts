/**
 * Issue 7 part 1: scripts/install.sh into a temporary root (--prefix), the way a packager or this
 * test runs it: files, modes, the unit's hardening, idempotence, upgrade keeping the station's own
 * config, uninstall keeping config and data, and `systemd-analyze verify` on the generated unit.
 * Needs a built checkout (`npm run build`, done by pretest): the script refuses to run without dist/.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/agentProcess.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/install.sh', import.meta.url));
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

let tmp: string;
let root: string;
const at = (p: string) => join(root, p);
const mode = (p: string) => (statSync(at(p)).mode & 0o7777).toString(8).padStart(4, '0');

function install(...args: string[]) {
  const r = spawnSync('bash', [SCRIPT, '--prefix', root, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  assertBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'sa-install-'));
  root = join(tmp, 'root');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const UNIT = 'etc/systemd/system/station-agent.service';

describe('scripts/install.sh --prefix (staged install)', () => {
  it('installs the program, wrapper, config, data folder and unit, and says what it skipped', () => {
    const { code, out } = install();
    expect(code, out).toBe(0);
    // No user, chown or systemctl in a staged install: they are printed instead.
    expect(out).toContain('would run: useradd --system');
    expect(out).toContain('would run: usermod -a -G dialout station-agent');
    expect(out).toContain('would run: systemctl enable --now station-agent.service');

    for (const p of [
      'opt/station-agent/dist/agent/cli/main.js',
      'opt/station-agent/package.json',
      'opt/station-agent/config/examples/water-station.yaml',
      'opt/station-agent/drivers/profiles/README.md',
      'opt/station-agent/node_modules/better-sqlite3/package.json',
      'opt/station-agent/node_modules/uplot/dist/uPlot.iife.min.js',
    ]) {
      expect(existsSync(at(p)), p).toBe(true);
    }
    // The status page's chart library resolves from the installed program (a staging root under /tmp
    // has no node_modules above it to fall back on).
    const assetsModule = pathToFileURL(at('opt/station-agent/dist/agent/http/statusAssets.js')).href;
    const assets = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { loadStatusAssets } = await import(${JSON.stringify(assetsModule)});
         const errors = [];
         const found = loadStatusAssets({ error: (o) => errors.push(String(o.err)) });
         console.log(JSON.stringify({ paths: [...found.keys()], errors }));`,
      ],
      { encoding: 'utf8', cwd: tmp },
    );
    expect(JSON.parse(assets.stdout), assets.stderr).toEqual({
      paths: ['/assets/uplot.js', '/assets/uplot.css'],
      errors: [],
    });
    // Production dependencies only: the dev tools were pruned.
    expect(existsSync(at('opt/station-agent/node_modules/vitest'))).toBe(false);
    expect(existsSync(at('opt/station-agent/node_modules/typescript'))).toBe(false);

    expect(mode('usr/local/bin/station-agent')).toBe('0755');
    expect(readFileSync(at('usr/local/bin/station-agent'), 'utf8')).toContain(
      '"/opt/station-agent/dist/agent/cli/main.js" "$@"',
    );
    expect(mode('var/lib/station-agent')).toBe('0750');
    expect(mode('etc/station-agent/station.yaml')).toBe('0640');
    expect(mode('etc/station-agent/env')).toBe('0600');
    expect(mode(UNIT)).toBe('0644');
    expect(readFileSync(at('etc/station-agent/station.yaml'), 'utf8')).toMatch(
      /^storage:\n(?:\s+#.*\n)*\s+path: \/var\/lib\/station-agent\/agent\.db$/m,
    );
  });

  it('writes a hardened unit', () => {
    const unit = readFileSync(at(UNIT), 'utf8').split('\n');
    for (const line of [
      'Type=simple',
      'User=station-agent',
      'Group=station-agent',
      'SupplementaryGroups=dialout',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'ReadWritePaths=/var/lib/station-agent',
      'Restart=on-failure',
      'RestartSec=5',
      'TimeoutStopSec=10',
      'EnvironmentFile=-/etc/station-agent/env',
      'ExecStart=/usr/local/bin/station-agent run --config /etc/station-agent/station.yaml',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit, line).toContain(line);
    }
    // It would hide the serial ports.
    expect(unit.some((l) => l.startsWith('PrivateDevices='))).toBe(false);
  });

  it('the installed program runs with its pruned dependencies and the installed config', () => {
    const r = spawnSync(
      process.execPath,
      [
        at('opt/station-agent/dist/agent/cli/main.js'),
        'validate',
        '--config',
        at('etc/station-agent/station.yaml'),
      ],
      { encoding: 'utf8' },
    );
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('passes systemd-analyze verify', () => {
    if (!existsSync(SYSTEMD_ANALYZE)) {
      throw new Error(
        `${SYSTEMD_ANALYZE} is missing: install it with "sudo apt-get install -y systemd" to verify the unit`,
      );
    }
    // ExecStart must exist for verify: point it at the staged wrapper. The unit name must stay.
    const dir = mkdtempSync(join(tmp, 'verify-'));
    const unitPath = join(dir, 'station-agent.service');
    writeFileSync(
      unitPath,
      readFileSync(at(UNIT), 'utf8').replace(
        'ExecStart=/usr/local/bin/station-agent',
        `ExecStart=${at('usr/local/bin/station-agent')}`,
      ),
    );
    const r = spawnSync(SYSTEMD_ANALYZE, ['verify', unitPath], { encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    // Only the test machine's lack of the service user may be reported.
    const unexpected = out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .filter((l) => !/station-agent.*(user|group).*(not found|does not exist|unknown)/i.test(l));
    expect(unexpected, out).toEqual([]);
  });

  it('is idempotent, and an upgrade keeps the station config, secrets and data', () => {
    const ownConfig = `${readFileSync(at('etc/station-agent/station.yaml'), 'utf8')}\n# edited on site\n`;
    writeFileSync(at('etc/station-agent/station.yaml'), ownConfig);
    writeFileSync(at('etc/station-agent/env'), 'MQTT_PASSWORD=secret\n');
    writeFileSync(at('var/lib/station-agent/agent.db'), 'not really a database');
    const unitBefore = readFileSync(at(UNIT), 'utf8');

    const { code, out } = install();
    expect(code, out).toBe(0);
    expect(out).toContain('kept the existing /etc/station-agent/station.yaml');
    expect(readFileSync(at('etc/station-agent/station.yaml'), 'utf8')).toBe(ownConfig);
    expect(readFileSync(at('etc/station-agent/env'), 'utf8')).toBe('MQTT_PASSWORD=secret\n');
    expect(readFileSync(at('var/lib/station-agent/agent.db'), 'utf8')).toBe('not really a database');
    expect(readFileSync(at(UNIT), 'utf8')).toBe(unitBefore);
    expect(existsSync(at('opt/station-agent/dist/agent/cli/main.js'))).toBe(true);
    // No staging leftovers.
    expect(existsSync(at('opt/station-agent.new'))).toBe(false);
    expect(existsSync(at('opt/station-agent.old'))).toBe(false);
    expect(mode('var/lib/station-agent')).toBe('0750');
  });

  it('--uninstall removes the unit and program but keeps config and data', () => {
    const { code, out } = install('--uninstall');
    expect(code, out).toBe(0);
    expect(out).toContain('would run: systemctl disable --now station-agent.service');
    expect(existsSync(at(UNIT))).toBe(false);
    expect(existsSync(at('usr/local/bin/station-agent'))).toBe(false);
    expect(existsSync(at('opt/station-agent'))).toBe(false);
    expect(existsSync(at('etc/station-agent/station.yaml'))).toBe(true);
    expect(existsSync(at('etc/station-agent/env'))).toBe(true);
    expect(existsSync(at('var/lib/station-agent/agent.db'))).toBe(true);
    // Uninstalling twice is harmless.
    expect(install('--uninstall').code).toBe(0);
  });

  it('refuses an unknown argument', () => {
    const { code, out } = install('--bogus');
    expect(code).toBe(2);
    expect(out).toContain('unknown argument: --bogus');
  });
});
