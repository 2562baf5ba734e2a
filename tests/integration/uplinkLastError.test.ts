/**
 * Issue 13, `uplinks[].lastError` for the HJ 212 uplink, with the built agent: while nothing listens
 * at the platform's address, /api/status and `station-agent status` say so in words, dated from the
 * first failure; once the platform is up and the station connected, the error is gone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startPlatform } from '../../scripts/platform/platformServer.js';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { DEMO_MAP, nutrientDevice, tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface UplinkStatus {
  id: string;
  connected: boolean;
  lastError: { message: string; code: string | null; at: number } | null;
}

describe('lastError of an HJ 212 uplink', () => {
  it('names a refused connection until the platform answers, then clears', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    const simPort = await freePort();
    const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
    cleanups.push(() => sim.stop());
    const platformPort = await freePort();
    const httpPort = await freePort();
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: '320700W014', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
      devices: [nutrientDevice('lan', '1s')],
      uplinks: [
        {
          id: 'province',
          type: 'hj212',
          host: '127.0.0.1',
          port: platformPort,
          version: 2017,
          mn: 'STATION-LASTERR',
          pw: '123456',
          st: 21,
          reconnect: { min: '200ms', max: '1s' },
        },
      ],
      http: { listen: `127.0.0.1:${httpPort}` },
    });
    const agent = runAgentCli(['run', '--config', tmp.configPath]);
    cleanups.push(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    });
    const uplink = async (): Promise<UplinkStatus | null> => {
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/status`);
        return res.ok ? ((await res.json()) as { uplinks: UplinkStatus[] }).uplinks[0]! : null;
      } catch {
        return null;
      }
    };

    let down: UplinkStatus | null = null;
    await waitFor(
      async () => {
        down = await uplink();
        return down?.lastError != null;
      },
      20_000,
      'lastError while nothing listens',
    );
    const error = (down as UplinkStatus | null)!.lastError!;
    expect(error).toMatchObject({
      code: 'UPLINK_CONNECT_FAILED',
      message: `connection refused — nothing listens at 127.0.0.1:${platformPort} (platform down, or wrong host/port)`,
    });
    const cli = runAgentCli(['status', '--config', tmp.configPath]);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(
      `province: last error since ${new Date(error.at).toISOString()}: connection refused — nothing listens at 127.0.0.1:${platformPort}`,
    );

    const platform = await startPlatform({
      port: platformPort,
      version: '2017',
      mn: 'STATION-LASTERR',
      pw: '123456',
      ack: false,
    });
    cleanups.push(() => platform.stop());
    await waitFor(
      async () => {
        const u = await uplink();
        return u?.connected === true && u.lastError === null;
      },
      20_000,
      'connected, lastError cleared',
    );
  });
});
