#!/usr/bin/env node
// Pretest: integration tests need the real mosquitto broker, socat (pseudo-terminals), Debian's
// chromium (the status page test drives it headless through playwright-core), a CJK font (the page is
// Chinese: without one Chromium draws empty boxes, and `npm run screenshot` would save them),
// libfaketime (the chaos suite steps the agent's wall clock with it) and systemd-analyze (the install
// test rates the service unit's hardening) and PostgreSQL 15's server binaries (the receiver's database tests).
// As root with apt-get available, missing packages are installed; otherwise we fail loudly
// with the exact command to run. A missing dependency must never turn into skipped tests.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needed = [
  { bin: 'mosquitto', pkg: 'mosquitto', paths: ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'] },
  { bin: 'socat', pkg: 'socat', paths: ['/usr/bin/socat'] },
  // The chaos suite preloads the library (scripts/chaos/scenarios/clockStep.ts); the package ships both.
  { bin: 'faketime', pkg: 'faketime', paths: ['/usr/bin/faketime'] },
  // The status page test launches exactly /usr/bin/chromium: another chromium on the PATH does not count.
  { bin: 'chromium', pkg: 'chromium', paths: ['/usr/bin/chromium'], pathOnly: true },
  // The install test checks the generated unit with systemd-analyze (verify, security --offline).
  { bin: 'systemd-analyze', pkg: 'systemd', paths: ['/usr/bin/systemd-analyze'] },
  // The receiver's database tests start their own server from Debian's binaries (scripts/support/postgres.ts).
  {
    bin: 'PostgreSQL 15 server',
    pkg: 'postgresql-15',
    files: ['/usr/lib/postgresql/15/bin/postgres'],
    present: () =>
      existsSync('/usr/lib/postgresql/15/bin/initdb') && existsSync('/usr/lib/postgresql/15/bin/postgres'),
  },
  // A font, not a program: the package's file, or any font fontconfig knows for Chinese.
  {
    bin: 'a CJK font',
    pkg: 'fonts-noto-cjk',
    files: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'],
    present: () =>
      spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).stdout?.trim().length > 0,
  },
];

function has(dep) {
  if (dep.files) return dep.files.some((f) => existsSync(f)) || dep.present();
  if (dep.paths.some((p) => spawnSync('test', ['-x', p]).status === 0)) return true;
  if (dep.pathOnly) return false;
  return spawnSync('sh', ['-c', `command -v ${dep.bin}`], { stdio: 'ignore' }).status === 0;
}

const missing = needed.filter((d) => !has(d));
if (missing.length === 0) process.exit(0);

const pkgs = missing.map((d) => d.pkg).join(' ');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;

if (isRoot && hasApt) {
  console.error(`pretest: installing missing system packages: ${pkgs}`);
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync(
      'apt-get',
      ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((d) => d.pkg)],
      {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      },
    );
  } catch {
    console.error(`pretest: apt-get failed. Install by hand: apt-get install -y ${pkgs}`);
    process.exit(1);
  }
  const still = missing.filter((d) => !has(d));
  if (still.length === 0) process.exit(0);
  console.error(`pretest: still missing after install: ${still.map((d) => d.bin).join(', ')}`);
  process.exit(1);
}

console.error(
  `pretest: the integration tests need ${missing.map((d) => d.bin).join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed.\n` +
    `Install with:\n\n    sudo apt-get install -y ${pkgs}\n`,
);
process.exit(1);
