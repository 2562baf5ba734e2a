/**
 * `npm run screenshot`: writes docs/images/status-page.png, the README's picture of the status page.
 * Runs a demo-like station (the analyzer simulator over Modbus TCP, an embedded MQTT broker, a
 * second uplink pointed at a port nobody listens on, the built agent with Chinese device names and
 * an hour of stored history), opens the page in Debian's headless Chromium with a channel's trend,
 * and saves it. Needs a CJK font for the Chinese (fonts-noto-cjk: scripts/ensureSystemDeps.mjs checks).
 * Only this script writes the image; the status page test does not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startSimulator } from '../simulator/modbusTcpServer.js';
import { launchChromium } from './headlessChromium.js';
import { type SeedChannel, seedHistory } from './stationHistory.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEADLINE = 60_000;

/** The package root: this file runs from scripts/screenshot/ (tsx) or dist-tools/scripts/screenshot/ (built). */
function packageRoot(): string {
  let dir = HERE;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${HERE}`);
    dir = parent;
  }
  return dir;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no free port');
  return addr.port;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`screenshot: gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const ch = (id: string, name: string, code: string, unit: string | null, address: number) => ({
  id,
  name,
  code,
  ...(unit ? { unit } : {}),
  register: { table: 'input', address, type: 'float32' },
});

function stationConfig(
  dbPath: string,
  modbusPort: number,
  mqttPort: number,
  deadPort: number,
  httpPort: number,
) {
  return {
    version: 1,
    station: { id: '320700W001', name: '示范河流水质自动站', timezone: 'Asia/Shanghai' },
    storage: { path: dbPath },
    log: { level: 'error' },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: modbusPort, timeout: '1s', retries: 1 }],
    devices: [
      {
        id: 'nutrient',
        name: '化学需氧量分析仪',
        bus: 'lan',
        unit: 7,
        interval: '2s',
        channels: [
          {
            ...ch('cod', '化学需氧量', 'w01018', 'mg/L', 0),
            register: { table: 'input', address: 0, type: 'float32', order: 'CDAB' },
          },
          {
            id: 'ph',
            name: 'pH',
            code: 'w01001',
            register: { table: 'input', address: 16, type: 'int16' },
            scale: 0.01,
          },
        ],
        status: {
          register: { table: 'input', address: 32, type: 'uint16' },
          flags: { 0: 'N', 1: 'C', 2: 'M', 3: 'D' },
        },
      },
      {
        id: 'sonde',
        name: '五参数水质仪',
        bus: 'lan',
        unit: 1,
        interval: '2s',
        channels: [
          ch('temp', '水温', 'w01010', '°C', 0),
          ch('ph', 'pH', 'w01001', null, 2),
          ch('do', '溶解氧', 'w01009', 'mg/L', 4),
          ch('cond', '电导率', 'w01014', 'µS/cm', 6),
          ch('turb', '浊度', 'w01003', 'NTU', 8),
        ],
      },
    ],
    uplinks: [
      { id: 'center', type: 'mqtt', url: `mqtt://127.0.0.1:${mqttPort}` },
      // Nobody listens there: the page shows it disconnected, and why.
      {
        id: 'backup',
        type: 'mqtt',
        url: `mqtt://127.0.0.1:${deadPort}`,
        reconnect: { min: '1s', max: '5s' },
      },
    ],
    http: { listen: `127.0.0.1:${httpPort}` },
  };
}

const HISTORY: SeedChannel[] = [
  { device: 'nutrient', channel: 'cod', code: 'w01018', unit: 'mg/L', level: 22.5 },
  { device: 'nutrient', channel: 'ph', code: 'w01001', unit: null, level: 7.6 },
  { device: 'sonde', channel: 'temp', code: 'w01010', unit: '°C', level: 17.5 },
  { device: 'sonde', channel: 'ph', code: 'w01001', unit: null, level: 7.5 },
  { device: 'sonde', channel: 'do', code: 'w01009', unit: 'mg/L', level: 7.5 },
  { device: 'sonde', channel: 'cond', code: 'w01014', unit: 'µS/cm', level: 450 },
  { device: 'sonde', channel: 'turb', code: 'w01003', unit: 'NTU', level: 12 },
];

/** mosquitto on loopback (MQTT 5, as the uplink speaks); SIGTERM stops it. */
function startMosquitto(dir: string, port: number): ChildProcess {
  const bin = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
  if (!bin) throw new Error('mosquitto is missing: sudo apt-get install -y mosquitto');
  const conf = join(dir, 'mosquitto.conf');
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false'];
  // As root mosquitto drops to user "mosquitto", which may not exist.
  if (process.getuid?.() === 0) lines.push('user root');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  return spawn(bin, ['-c', conf], { stdio: 'ignore' });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const cli = join(root, 'dist', 'agent', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`);
  const output = join(root, 'docs', 'images', 'status-page.png');
  const dir = mkdtempSync(join(tmpdir(), 'sa-screenshot-'));
  const stops: (() => unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const [modbusPort, mqttPort, deadPort, httpPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const sim = await startSimulator({
      mapFile: join(root, 'scripts', 'simulator', 'maps', 'demo-water.yaml'),
      port: modbusPort,
    });
    stops.push(() => sim.stop());
    const broker = startMosquitto(dir, mqttPort);
    stops.push(() => stopChild(broker));

    // An hour of readings every 10 s: a power cut 40 to 33 minutes ago (the line was down, as the
    // events say), COD in calibration (flag C) from 20 to 14 minutes ago.
    const dbPath = join(dir, 'agent.db');
    const now = Date.now();
    const ago = (min: number) => now - min * 60_000;
    seedHistory(dbPath, HISTORY, {
      spans: [{ from: ago(60), to: ago(0.5), stepMs: 10_000 }],
      gap: { from: ago(40), to: ago(33) },
      flagged: [{ device: 'nutrient', channel: 'cod', flag: 'C', from: ago(20), to: ago(14) }],
      events: [
        { ts: ago(40), event: { kind: 'link-lost', bus: 'lan' } },
        { ts: ago(33), event: { kind: 'link-restored', bus: 'lan', downMs: 7 * 60_000 } },
      ],
    });
    const configPath = join(dir, 'station.yaml');
    writeFileSync(configPath, stringify(stationConfig(dbPath, modbusPort, mqttPort, deadPort, httpPort)));

    // Its log goes to stderr: only errors, as a failing screenshot should say why.
    const agent = spawn(process.execPath, [cli, 'run', '--config', configPath], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    stops.push(() => stopChild(agent));
    const base = `http://127.0.0.1:${httpPort}`;
    await until('the agent status server', async () => (await fetch(`${base}/api/status`)).ok);
    await until('every channel polled', async () => {
      const s = (await (await fetch(`${base}/api/status`)).json()) as { devices: { link: string }[] };
      return s.devices.length === 2 && s.devices.every((d) => d.link === 'ok');
    });

    const browser = await launchChromium();
    stops.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/#trend=nutrient/cod/hour`);
    await page.locator('#trend canvas').first().waitFor({ timeout: DEADLINE });
    await page.locator('#uplinks tr', { hasText: 'center' }).locator('td.ok').waitFor({ timeout: DEADLINE });
    // Let the live view settle: values and sparklines of a few more polls.
    await new Promise((r) => setTimeout(r, 3000));
    mkdirSync(dirname(output), { recursive: true });
    await page.screenshot({ path: output, fullPage: true });
    process.stdout.write(`wrote ${relative(process.cwd(), output) || output}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshot failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
