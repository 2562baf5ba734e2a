/**
 * Issue 7: the status page in a real browser. The built agent polls the Modbus simulator, Debian's
 * headless Chromium (driven by playwright-core) opens `/?token=...`, and the page must show the
 * station, both devices with their values, units and flags, switch to Chinese, and mark a device
 * that stops answering as failing with its error counts by kind. An hour of history is stored before the
 * agent starts, so every channel's sparkline has a line to draw (with a gap). Every wait has a deadline; nothing asserts how long something took.
 * The run saves docs/images/status-page.png (the README's screenshot) each time.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agent/core/log.js';
import type { NewReading } from '../../agent/core/reading.js';
import { openDatabase } from '../../agent/store/openDatabase.js';
import { ReadingStore } from '../../agent/store/readingStore.js';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { runAgentCli } from '../helpers/agentProcess.js';
import { freePort } from '../helpers/freePort.js';
import { DEMO_MAP, nutrientDevice, sondeDevice, tempStation, writeYaml } from '../helpers/stationFixture.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../docs/images/status-page.png', import.meta.url));
const TOKEN = 'status-page-token-for-the-test-42';
const STATION_ID = '320700W009';
const DEADLINE = 30_000;

// Without the background-networking flags Chromium keeps calling home, which floods a closed network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Device, channel, code, unit and a plausible level of each fixture channel, for the seeded history. */
const HISTORY: [string, string, string, string | null, number][] = [
  ['nutrient', 'cod', 'w01018', 'mg/L', 22.5],
  ['nutrient', 'ph', 'w01001', null, 7.6],
  ['sonde', 'temp', 'w01010', null, 17.5],
  ['sonde', 'ph', 'w01001', null, 7.5],
  ['sonde', 'do', 'w01009', null, 7.5],
  ['sonde', 'cond', 'w01014', null, 450],
  ['sonde', 'turb', 'w01003', null, 12],
];

/**
 * Readings every 20 s over the hour before now, except minutes 35 to 30 ago (a power cut: the chart's
 * gap), written before the agent opens the file.
 */
function seedHistory(dbPath: string): void {
  const db = openDatabase({ path: dbPath, log: silentLogger() });
  try {
    const store = new ReadingStore({ db, log: silentLogger() });
    const now = Date.now();
    const readings: NewReading[] = [];
    for (let ts = now - 3_600_000 + 20_000; ts < now - 60_000; ts += 20_000) {
      const ago = (now - ts) / 60_000;
      if (ago > 30 && ago < 35) continue;
      for (const [i, [device, channel, code, unit, level]] of HISTORY.entries()) {
        const value = level * (1 + 0.08 * Math.sin(ts / 600_000 + i) + 0.02 * Math.sin(ts / 97_000));
        readings.push({ ts, device, channel, code, unit, value, flag: 'N' });
      }
    }
    store.append(readings);
  } finally {
    db.close();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A missing browser is a failure with the command to fix it, never a skipped test. */
function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the status page test needs Debian's chromium. Install with:\n\n    sudo apt-get install -y chromium\n`,
    );
  }
}

describe('the status page in headless Chromium', () => {
  it('shows the station, devices and values, switches to Chinese and marks a silent device failing', async () => {
    requireChromium();

    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    const simPort = await freePort();
    const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
    cleanups.push(() => sim.stop());
    const httpPort = await freePort();
    // Nothing listens here: the uplink stays disconnected and its backlog grows, no broker needed.
    const brokerPort = await freePort();
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: STATION_ID, name: 'Riverside demo', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
      devices: [nutrientDevice('lan', '1s'), sondeDevice('lan', '1s')],
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: `mqtt://127.0.0.1:${brokerPort}`,
          reconnect: { min: '500ms', max: '2s' },
        },
      ],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's env substitution syntax
      http: { listen: `127.0.0.1:${httpPort}`, token: '${STATUS_TOKEN}' },
    });

    seedHistory(tmp.dbPath);
    const agent = runAgentCli(['run', '--config', tmp.configPath], { STATUS_TOKEN: TOKEN });
    cleanups.push(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    });

    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const url = `http://127.0.0.1:${httpPort}/?token=${TOKEN}`;

    // The agent may still be starting: retry the navigation until the server answers.
    const until = Date.now() + DEADLINE;
    for (;;) {
      try {
        const res = await page.goto(url);
        if (res?.ok()) break;
      } catch (err) {
        if (Date.now() > until) throw err;
      }
      if (Date.now() > until) throw new Error(`the status page did not load within ${DEADLINE} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }

    // A fresh profile starts in Chinese; switch to English first.
    const lang = page.locator('#lang');
    await expect.poll(() => lang.textContent(), { timeout: DEADLINE }).toBe('English');
    await lang.click();
    await expect.poll(() => lang.textContent(), { timeout: DEADLINE }).toBe('中文');

    const title = page.locator('#title');
    await title.filter({ hasText: STATION_ID }).waitFor({ timeout: DEADLINE });
    expect(await title.textContent()).toContain('Riverside demo');

    const row = (device: string) =>
      page.locator('#devices tr').filter({ has: page.locator('td:first-child', { hasText: device }) });
    const link = (device: string) => row(device).locator('td').nth(2);
    const failures = (device: string) => row(device).locator('td').nth(5);
    const values = (device: string) => row(device).locator('td').nth(6);

    // Both devices answering, with values, units and flags.
    await link('nutrient').filter({ hasText: /^ok$/ }).waitFor({ timeout: DEADLINE });
    await link('sonde').filter({ hasText: /^ok$/ }).waitFor({ timeout: DEADLINE });
    await values('nutrient')
      .filter({ hasText: /cod -?\d+(\.\d+)? mg\/L \[N\]/ })
      .waitFor({ timeout: DEADLINE });
    await values('nutrient')
      .filter({ hasText: /ph -?\d+(\.\d+)? \[N\]/ })
      .waitFor({ timeout: DEADLINE });
    for (const channel of ['temp', 'ph', 'do', 'cond', 'turb']) {
      await values('sonde')
        .filter({ hasText: new RegExp(`${channel} -?\\d+(\\.\\d+)?(e-?\\d+)? \\[N\\]`) })
        .waitFor({ timeout: DEADLINE });
    }
    expect(await link('nutrient').getAttribute('class')).toBe('ok');

    // A sparkline per channel, next to its value; the seeded power cut leaves a gap (a second M).
    await expect
      .poll(() => page.locator('#devices svg.spark').count(), { timeout: DEADLINE })
      .toBeGreaterThanOrEqual(7);
    await expect.poll(() => values('sonde').locator('svg.spark').count(), { timeout: DEADLINE }).toBe(5);
    const codLine = values('nutrient').locator('div', { hasText: /^cod / }).locator('svg.spark path');
    await expect
      .poll(() => codLine.getAttribute('d'), { timeout: DEADLINE })
      .toMatch(/^M[\d. ]+(L[\d. ]+)+M[\d. ]+(L[\d. ]+)+/);
    await page.locator('#uplinks tr', { hasText: 'center' }).waitFor({ timeout: DEADLINE });
    await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: DEADLINE });

    // Chinese: the headings and link states, and the button offers English again.
    await lang.click();
    await page.locator('h2', { hasText: '设备' }).waitFor({ timeout: DEADLINE });
    await title.filter({ hasText: `站点 ${STATION_ID}` }).waitFor({ timeout: DEADLINE });
    await link('sonde')
      .filter({ hasText: /^正常$/ })
      .waitFor({ timeout: DEADLINE });
    expect(await lang.textContent()).toBe('English');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');

    // The nutrient analyzer stops answering: the page marks it failing; the sonde stays ok.
    await lang.click();
    await page.locator('h2', { hasText: 'Devices' }).waitFor({ timeout: DEADLINE });
    sim.setSilent(7, true);
    await link('nutrient')
      .filter({ hasText: /^failing/ })
      .waitFor({ timeout: DEADLINE });
    expect(await link('nutrient').getAttribute('class')).toBe('failing');
    // Error counts by kind: the failed polls' timeouts, counted.
    await failures('nutrient')
      .filter({ hasText: /MODBUS_TIMEOUT ×[1-9]\d*/ })
      .waitFor({ timeout: DEADLINE });
    await expect.poll(() => link('sonde').textContent(), { timeout: DEADLINE }).toBe('ok');

    expect(pageErrors).toEqual([]);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);

    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  });
});
