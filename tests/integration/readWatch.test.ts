/**
 * Issue 14: `station-agent read --watch` as a technician runs it: the BUILT CLI against the Modbus
 * TCP simulator, refreshing until Ctrl-C. Into a pipe the reports follow one another; on a terminal
 * (a real pty through script(1), Ctrl-C typed into it) each report is redrawn in place.
 */

import { spawn } from 'node:child_process';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { AGENT_CLI, assertBuilt, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { DEMO_MAP, nutrientDevice, tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The simulator on a free port and a station file with its nutrient analyzer, polled every second. */
async function rig(): Promise<string> {
  const port = await freePort();
  const sim = await startSimulator({ mapFile: DEMO_MAP, port, seed: 14 });
  cleanups.push(() => sim.stop());
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const device = nutrientDevice('lan', '1s');
  // A unit in Chinese: the table must still line up.
  device.channels[0]!.unit = '毫克/升';
  writeYaml(tmp.configPath, {
    version: 1,
    station: { id: 'WATCH-IT', timezone: 'Asia/Shanghai' },
    storage: { path: tmp.dbPath },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms' }],
    devices: [device],
  });
  return tmp.configPath;
}

/** Terminal columns where each cell of a table line starts (cells are two or more spaces apart). */
function columnStarts(line: string): number[] {
  return [...line.matchAll(/(?:^|\s{2,})(\S)/g)].map((m) =>
    stringWidth(line.slice(0, m.index + m[0].length - 1)),
  );
}

const REFRESH = /^=== (\S+)\s+refresh (\d+), every 1s; Ctrl-C to stop ===$/gm;

describe('read --watch (built CLI, Modbus TCP simulator)', () => {
  it('into a pipe: a report per device interval until Ctrl-C, then exit 0', async () => {
    const config = await rig();
    const p = runAgentCli(['read', '--config', config, '--device', 'nutrient', '--watch']);
    cleanups.push(() => p.kill('SIGKILL'));
    await waitFor(() => /refresh 2\b/.test(p.output()), 90_000, 'two refreshes');
    p.kill('SIGINT');
    expect(await p.exited, p.output()).toBe(0);

    const out = p.output();
    const heads = [...out.matchAll(REFRESH)];
    expect(heads.length, out).toBeGreaterThanOrEqual(2);
    expect(heads.slice(0, 2).map((h) => Number(h[2]))).toEqual([1, 2]);
    // Station time, one interval apart (give or take a slow poll on a loaded machine).
    expect(heads[0]![1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/);
    expect(Date.parse(heads[1]![1]!)).toBeGreaterThan(Date.parse(heads[0]![1]!));
    // Each report is the whole one-poll report; nothing of a terminal's escape codes in a pipe.
    const blocks = out.split(/^=== .+ ===$/m).slice(1, 3);
    for (const block of blocks) {
      expect(block).toMatch(/nutrient: unit 7 on bus lan \(Modbus TCP 127\.0\.0\.1:\d+\), polled in \d+ms/);
      expect(block).toMatch(
        /^cod\s+w01018\s+input:0 float32 CDAB\s+0x[0-9A-F]{4} 0x[0-9A-F]{4}\s+\S+\s+毫克\/升\s+N\s/m,
      );
      expect(block).toContain('poll ok');
    }
    expect(out).not.toContain('\x1b[');

    // The Chinese unit takes two columns a character: the columns after it still line up.
    const lines = blocks[0]!.split('\n');
    const header = lines.find((l) => l.startsWith('channel '))!;
    const cod = lines.find((l) => l.startsWith('cod '))!;
    expect(columnStarts(cod)).toEqual(columnStarts(header));
  });

  it('a reader that goes away (`--watch | head`) ends the watch with exit 0, no stack trace', async () => {
    const config = await rig();
    const p = runAgentCli(['read', '--config', config, '--device', 'nutrient', '--interval', '200ms']);
    cleanups.push(() => p.kill('SIGKILL'));
    await waitFor(() => /refresh 1\b/.test(p.output()), 90_000, 'the first report');
    p.child.stdout?.destroy();
    expect(await p.exited, p.output()).toBe(0);
    expect(p.output()).not.toMatch(/EPIPE|\n\s+at .+:\d+:\d+/);
  });

  it('on a terminal: redrawn in place; Ctrl-C typed into it ends the watch with exit 0', async () => {
    assertBuilt();
    const config = await rig();
    // script(1) runs the CLI on a real pty; what is written to its stdin is typed into that terminal.
    // `exec`: the CLI is the terminal's only foreground process, as when typed at an interactive shell.
    // Without it dash (script's shell when SHELL is unset, as in CI) waits in the same process group,
    // takes the Ctrl-C itself and exits 130 whatever the CLI does.
    const command = `exec ${[
      process.execPath,
      AGENT_CLI,
      'read',
      '--config',
      config,
      '-d',
      'nutrient',
      '--interval',
      '1s',
    ]
      .map((a) => `'${a}'`)
      .join(' ')}`;
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, SHELL: '/bin/sh' },
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => /refresh 2\b/.test(out), 90_000, 'two refreshes on the terminal');
    child.stdin.write('\x03'); // Ctrl-C
    expect(await exited, out).toBe(0);

    // Cleared once, then every report starts at the top-left corner and clears what it did not overwrite.
    expect(out.split('\x1b[2J')).toHaveLength(2);
    const frames = out.split('\x1b[H').slice(1);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const frame of frames.slice(0, 2)) {
      const [head = ''] = frame.split('\n');
      expect(head).toMatch(/^\S+\s+refresh \d+, every 1s; Ctrl-C to stop/);
      expect(head.endsWith('\x1b[K\r') || head.endsWith('\x1b[K')).toBe(true);
      expect(frame).toContain('poll ok\x1b[K');
      expect(frame).toContain('\x1b[J');
    }
    expect(out).not.toContain('=== ');
  });
});
