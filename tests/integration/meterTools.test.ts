/**
 * Issue 17: the technician's tools on a meter line, as child processes of the built CLI against the
 * built DL/T 645 simulator on a socat pty: `scan --meters` finds the one meter attached by the
 * broadcast read-address, and given addresses on a line of several; `read --device` shows the
 * meter's decoded values and the raw frames sent and received.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_CLI, waitFor } from '../../scripts/support/agentProcess.js';
import { createPtyPair, type PtyPair } from '../../scripts/support/pty.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const SIM = fileURLToPath(new URL('../../dist-tools/scripts/simulator/dlt645Main.js', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups.length = 0;
});

/** A pty line with the simulator serving `meters` on its far end. */
async function meterLine(meters: string): Promise<PtyPair> {
  const pair = await createPtyPair();
  cleanups.push(() => pair.stop());
  const sim: ChildProcess = spawn(process.execPath, [SIM, '--serial', pair.simPath, '--meters', meters], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  sim.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  cleanups.push(async () => {
    if (sim.exitCode === null) {
      const exited = new Promise((r) => sim.once('exit', r));
      sim.kill('SIGTERM');
      await exited;
    }
  });
  await waitFor(() => /^dlt645 simulator serving /m.test(out), 30_000, 'simulator serving');
  return pair;
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [AGENT_CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('meter line technician tools', () => {
  it('scan --meters finds the single meter by broadcast, and listed addresses on a shared line', async () => {
    const single = await meterLine('000000000042');
    const one = cli(['scan', '--port', single.agentPath, '--meters']);
    expect(one.out).toMatch(
      /^meter 000000000042: answered the broadcast read-address \(forward active energy [\d.]+ kWh\)$/m,
    );
    expect(one.status).toBe(0);

    const shared = await meterLine('000000000001,000000000002');
    const listed = cli([
      'scan',
      '--port',
      shared.agentPath,
      '--meters',
      '--address',
      '000000000001,000000000002,000000000009',
      '--timeout',
      '300ms',
    ]);
    expect(listed.out).toMatch(/^meter 000000000001: answered \(forward active energy/m);
    expect(listed.out).toMatch(/^meter 000000000002: answered/m);
    expect(listed.out).toMatch(/^meter 000000000009: no answer$/m);
    expect(listed.out).toMatch(/^2 of 3 meter\(s\) answered$/m);
    expect(listed.status).toBe(0);
  }, 120_000);

  it('read --device shows a meter’s values and the raw frames', async () => {
    const pair = await meterLine('000000000001');
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: 'M1' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'line', type: 'serial', port: pair.agentPath }],
      devices: [
        {
          id: 'main',
          bus: 'line',
          profile: 'dlt645/generic/three-phase',
          interval: '10s',
          meter: { address: '000000000001' },
        },
      ],
    });
    const r = cli(['read', '--config', tmp.configPath, '--device', 'main']);
    expect(r.out).toContain('main: meter 000000000001 on bus line (serial');
    expect(r.out).toContain('2400 8E1');
    expect(r.out).toMatch(/^\s*energy\s+00010000\s+[\d.]+\s+kWh\s+N/m);
    expect(r.out).toMatch(/^\s*ua\s+0201FF00\[0\]\s+2\d\d(\.\d)?\s+V\s+N/m);
    // The request to the meter as sent: wake-up FEs, 68, its address lowest byte first.
    expect(r.out).toMatch(/sent {5}FE FE FE FE 68 01 00 00 00 00 00 68 11 04/);
    expect(r.out).toMatch(/received (FE )*68 01 00 00 00 00 00 68 91/);
    expect(r.out).toContain('poll ok');
    expect(r.status).toBe(0);
  }, 120_000);
});
