/**
 * Issue 3 end to end: a C-Link ozone analyzer (our ASCII simulator) on one end of a real pty pair,
 * the built agent process on the other through the thermo/49i-clink profile, a real mosquitto
 * upstream. Values arrive with their flags; service mode on the analyzer turns them M.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startAsciiSimulator } from '../../scripts/simulator/asciiServer.js';
import { runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { collectReadings, startMosquitto } from '../../scripts/support/mosquitto.js';
import { createPtyPair } from '../../scripts/support/pty.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const DEFINITION = fileURLToPath(new URL('../../scripts/simulator/ascii/thermo-49i.yaml', import.meta.url));
const SERVICE_MODE = 0x2000_0000;

interface Up {
  ts: string;
  device: string;
  channel: string;
  code: string | null;
  value: number | null;
  unit: string | null;
  flag: string;
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('an ASCII analyzer on a serial line, seen upstream', () => {
  it('delivers its values and status flags through MQTT', async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const pty = await createPtyPair();
    cleanups.push(() => pty.stop());
    const sim = await startAsciiSimulator({ path: pty.simPath, definitionFile: DEFINITION });
    cleanups.push(() => sim.stop());
    const sub = await collectReadings(broker.url, 'it/320700A001/readings');
    cleanups.push(() => sub.close());

    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: '320700A001', name: 'ambient air' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'com1', type: 'serial', port: pty.agentPath, baudRate: 9600, timeout: '300ms' }],
      devices: [
        {
          id: 'ozone',
          bus: 'com1',
          interval: '500ms',
          profile: 'thermo/49i-clink',
          ascii: { timeout: '300ms' },
        },
      ],
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: broker.url,
          topicPrefix: 'it',
          batch: { maxReadings: 20, maxDelay: '200ms' },
        },
      ],
    });
    sim.setStatus(0);
    sim.setValue('o3', 41.25);
    const agent = runAgentCli(['run', '--config', tmp.configPath]);
    cleanups.push(async () => {
      if (agent.child.exitCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    });
    const ups = () => sub.payloads.flatMap((p) => (p as { readings: Up[] }).readings);

    await waitFor(() => ups().some((r) => r.flag === 'N' && r.value === 41.25), 15_000, 'a normal reading');
    sim.setStatusBits(SERVICE_MODE, true);
    const serviceFrom = Date.now();
    await waitFor(
      () => ups().some((r) => r.flag === 'M' && Date.parse(r.ts) > serviceFrom),
      15_000,
      'a reading flagged M while the analyzer is in service mode',
    );
    agent.kill('SIGTERM');
    expect(await agent.exited, agent.output()).toBe(0);

    const normal = ups().find((r) => r.flag === 'N')!;
    expect(normal).toMatchObject({
      device: 'ozone',
      channel: 'o3',
      code: 'a05024',
      unit: 'ppb',
      value: 41.25,
    });
    const service = ups().filter((r) => r.flag === 'M');
    expect(service.every((r) => r.value === 41.25)).toBe(true); // flagged, value kept
  });
});
