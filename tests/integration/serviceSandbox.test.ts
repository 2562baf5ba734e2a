/**
 * Issue 14 part 6: the hardened unit must not take from the agent what it needs. This machine (like a
 * build host) runs no systemd, so the parts of the sandbox that break programs at run time are
 * rebuilt from the installed unit file itself and the agent runs inside them:
 * - SystemCallFilter= / SystemCallErrorNumber= / RestrictAddressFamilies=: the same seccomp filter,
 *   from systemd-analyze's own list of the groups, loaded by tests/helpers/seccompExec.py;
 * - User= / SupplementaryGroups=dialout / CapabilityBoundingSet= / NoNewPrivileges=: setpriv as
 *   `nobody` with the dialout group, no capability, no_new_privs (when the test runs as root;
 *   otherwise as the unprivileged user it is);
 * - ExecStart=: the installed wrapper's node flags and the installed program.
 * Inside them the agent polls a serial analyzer (a pty of group dialout, mode 0660, opened through a
 * /dev/serial/by-id style link) and a Modbus TCP one, resolves the broker's host name, publishes to
 * mosquitto, serves its status page and writes its store. The mounts (ProtectSystem=, PrivateTmp=)
 * and the device cgroup (DevicePolicy=) need systemd itself and are checked only as unit lines
 * (installScript.test.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { startRtuSimulator } from '../../scripts/simulator/rtuServer.js';
import { assertBuilt, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { collectReadings, startMosquitto, until } from '../../scripts/support/mosquitto.js';
import { assertSocat } from '../../scripts/support/pty.js';
import { DEMO_MAP, nutrientDevice, writeYaml } from '../../scripts/support/stationFixture.js';

const INSTALL = fileURLToPath(new URL('../../scripts/install.sh', import.meta.url));
const SECCOMP_EXEC = fileURLToPath(new URL('../helpers/seccompExec.py', import.meta.url));
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
/** Debian's own interpreter: a pyenv or venv python under /root is out of reach for `nobody`. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const AS_ROOT = process.getuid?.() === 0;
const STATION = '320700W614';

/** Address family numbers of Linux (RestrictAddressFamilies= names them). */
const FAMILIES: Record<string, number> = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16 };
const ERRNOS: Record<string, number> = { EPERM: 1 };

let tmp: string;
let root: string;

beforeAll(() => {
  assertBuilt();
  assertSocat();
  if (!existsSync(SYSTEMD_ANALYZE)) {
    throw new Error(`${SYSTEMD_ANALYZE} is missing: sudo apt-get install -y systemd`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'sa-sandbox-'));
  chmodSync(tmp, 0o755); // `nobody` must reach the program, the config and the data folder
  root = join(tmp, 'root');
  const r = spawnSync('bash', [INSTALL, '--prefix', root], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`install.sh failed:\n${r.stdout}${r.stderr}`);
}, 200_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** systemd-analyze syscall-filter: every group with its entries (system calls or other groups). */
function syscallGroups(): Map<string, string[]> {
  const out = spawnSync(SYSTEMD_ANALYZE, ['syscall-filter', '--no-pager'], { encoding: 'utf8' }).stdout;
  const groups = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of out.split('\n')) {
    if (line.startsWith('@')) {
      current = [];
      groups.set(line.trim(), current);
    } else if (!line.startsWith(' ')) {
      current = null;
    } else if (current !== null && !line.trim().startsWith('#') && line.trim() !== '') {
      current.push(line.trim());
    }
  }
  return groups;
}

/** The seccomp policy systemd builds from the unit (its allow-list semantics: @default always in). */
function policyOf(unit: string) {
  const values = (key: string) =>
    unit
      .split('\n')
      .filter((l) => l.startsWith(`${key}=`))
      .map((l) => l.slice(key.length + 1).trim());
  const groups = syscallGroups();
  const expand = (item: string): string[] => {
    if (!item.startsWith('@')) return [item];
    const entries = groups.get(item);
    if (entries === undefined) throw new Error(`systemd-analyze does not know ${item}`);
    return entries.flatMap(expand);
  };
  const filters = values('SystemCallFilter');
  expect(filters[0]?.startsWith('~'), 'the first SystemCallFilter= is an allow-list').toBe(false);
  const allow = new Set(expand('@default'));
  for (const filter of filters) {
    const deny = filter.startsWith('~');
    for (const item of filter.replace(/^~/, '').split(/\s+/)) {
      for (const name of expand(item)) deny ? allow.delete(name) : allow.add(name);
    }
  }
  const errnoName = values('SystemCallErrorNumber')[0] ?? '';
  const families = (values('RestrictAddressFamilies')[0] ?? '').split(/\s+/);
  for (const f of families) expect(FAMILIES[f], `address family ${f}`).toBeDefined();
  expect(ERRNOS[errnoName], `SystemCallErrorNumber=${errnoName}`).toBeDefined();
  return { allow: [...allow].sort(), errno: ERRNOS[errnoName], families: families.map((f) => FAMILIES[f]) };
}

/** The command line that puts `argv` in the service's sandbox. */
function sandboxed(policyPath: string, argv: string[]): string[] {
  const inner = [PYTHON, SECCOMP_EXEC, policyPath, '--', ...argv];
  if (!AS_ROOT) return inner;
  return [
    'setpriv',
    '--reuid=nobody',
    '--regid=nogroup',
    '--groups=dialout',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    ...inner,
  ];
}

function run(argv: string[]) {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the agent inside the installed unit sandbox', () => {
  it('polls a serial port of group dialout and a TCP analyzer, resolves and reaches its broker, writes its store', async () => {
    const at = (p: string) => join(root, p);
    const unit = readFileSync(at('etc/systemd/system/station-agent.service'), 'utf8');
    const policyPath = join(tmp, 'seccomp.json');
    writeFileSync(policyPath, JSON.stringify(policyOf(unit)));
    chmodSync(policyPath, 0o644);

    // The filter is live: a call of @privileged fails with EPERM inside, not outside.
    const probe =
      "try { process.setuid(process.getuid()); console.log('setuid: allowed') } catch (e) { console.log('setuid: ' + e.code) }";
    expect(run(sandboxed(policyPath, [process.execPath, '-e', probe])).out).toContain('setuid: EPERM');
    expect(run([process.execPath, '-e', probe]).out).toContain('setuid: allowed');

    // A serial line: socat's pty of group dialout, as udev makes /dev/ttyUSB0, and a by-id link to it.
    const dev = join(tmp, 'dev');
    mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
    const tty = join(dev, 'ttyUSB0');
    const simTty = join(dev, 'sim-tty');
    const socat = spawn(
      'socat',
      [`pty,raw,echo=0,link=${tty},group=dialout,perm=0660`, `pty,raw,echo=0,link=${simTty}`],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(() => existsSync(tty) && existsSync(simTty), 10_000, 'the pty pair');
      const byId = join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R_USB_UART_A10K1234-if00-port0');
      symlinkSync(tty, byId);
      if (AS_ROOT) {
        // Without dialout the port is closed to the service user: the group is what opens it.
        const noGroup = run([
          'setpriv',
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          process.execPath,
          '-e',
          `require('fs').openSync(${JSON.stringify(byId)}, 'r+')`,
        ]);
        expect(noGroup.out).toContain('EACCES');
      }
      const rtu = await startRtuSimulator({
        map: {
          units: [
            {
              unit: 1,
              name: 'sonde',
              points: [
                {
                  name: 'temp',
                  table: 'holding',
                  address: 0,
                  type: 'float32',
                  generator: { kind: 'constant' as const, value: 17.25 },
                },
              ],
            },
          ],
        },
        path: simTty,
        baudRate: 38400,
      });
      try {
        await runStation(policyPath, byId);
      } finally {
        await rtu.stop();
      }
    } finally {
      socat.kill('SIGTERM');
    }
  });
});

async function runStation(policyPath: string, serialPort: string): Promise<void> {
  const broker = await startMosquitto();
  const simPort = await freePort();
  const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
  const sub = await collectReadings(broker.url, `it/${STATION}/readings`);
  try {
    const data = join(tmp, 'data');
    mkdirSync(data, { mode: 0o750 });
    if (AS_ROOT) chownSync(data, 65534, 65534);
    const httpPort = await freePort();
    const configPath = join(tmp, 'station.yaml');
    writeYaml(configPath, {
      version: 1,
      station: { id: STATION, name: 'sandbox', timezone: 'Asia/Shanghai' },
      storage: { path: join(data, 'agent.db') },
      log: { level: 'info' },
      buses: [
        { id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 },
        { id: 'rs485', type: 'serial', port: serialPort, baudRate: 38400, timeout: '300ms', retries: 1 },
      ],
      devices: [
        nutrientDevice('lan', '500ms'),
        {
          id: 'sonde',
          bus: 'rs485',
          unit: 1,
          interval: '500ms',
          channels: [
            { id: 'temp', code: 'w01010', register: { table: 'holding', address: 0, type: 'float32' } },
          ],
        },
      ],
      // A host name, as a station's config has: resolving it takes netlink and a Unix socket.
      uplinks: [{ id: 'center', type: 'mqtt', url: `mqtt://localhost:${broker.port}`, topicPrefix: 'it' }],
      http: { listen: `127.0.0.1:${httpPort}` },
    });
    chmodSync(configPath, 0o644);

    // ExecStart: the installed wrapper's node and flags, on the installed program.
    const wrapper = readFileSync(join(root, 'usr/local/bin/station-agent'), 'utf8');
    const exec = /^exec "([^"]+)" (.*) "\/opt\/station-agent\/dist\/agent\/cli\/main\.js" "\$@"$/m.exec(
      wrapper,
    );
    expect(exec, wrapper).not.toBeNull();
    const argv = [
      exec![1]!,
      ...exec![2]!.split(' '),
      join(root, 'opt/station-agent/dist/agent/cli/main.js'),
      'run',
      '--config',
      configPath,
    ];
    const [cmd, ...args] = sandboxed(policyPath, argv);
    const agent = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    agent.stdout.on('data', (d: Buffer) => (output += d.toString()));
    agent.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | string>((resolve) =>
      agent.on('exit', (c, s) => resolve(c ?? s ?? -1)),
    );
    try {
      const devices = () =>
        new Set(
          sub.payloads.flatMap((p) =>
            (p as { readings: { device: string }[] }).readings.map((r) => r.device),
          ),
        );
      await until(
        () => devices().has('sonde') && devices().has('nutrient'),
        60_000,
        () => `readings of both analyzers at the broker; agent output:\n${output}`,
      );
      const status = await fetch(`http://127.0.0.1:${httpPort}/api/status`);
      expect(status.status).toBe(200);
      const body = (await status.json()) as { devices: { id: string; link: string }[] };
      expect(body.devices.map((d) => [d.id, d.link])).toEqual([
        ['nutrient', 'ok'],
        ['sonde', 'ok'],
      ]);
    } finally {
      agent.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
    // Nothing the agent tried was refused: a filtered call or family would show as one of these.
    expect(output).not.toMatch(/EPERM|EACCES|EAFNOSUPPORT|not permitted|Permission denied/);
    expect(output).toContain('station agent ready');
    // Written by the service user, not by root.
    expect(statSync(join(data, 'agent.db')).uid).toBe(AS_ROOT ? 65534 : process.getuid?.());
  } finally {
    await sub.close();
    await sim.stop();
    await broker.dispose();
  }
}
