/**
 * `excludeUplinks` end to end (issue 14): the analyzer's pH and the sonde's pH share code w01001;
 * the analyzer's is kept off the HJ 212 uplink, so the platform simulator receives the sonde's, and
 * the analyzer's COD (excluded too) never arrives, while both stay in the store. Real parts: the
 * Modbus simulator, the agent in-process on the real clock, the project's platform simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { StationAgent } from '../../agent/app/stationAgent.js';
import { loadConfigText } from '../../agent/config/load.js';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { noMetrics } from '../../agent/core/metricsSink.js';
import { noAgentControl } from '../../agent/uplink/agentControl.js';
import { formatValue } from '../../agent/uplink/hj212/uploadMessages.js';
import { type PlatformHandle, startPlatform } from '../../scripts/platform/platformServer.js';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import {
  DEMO_MAP,
  nutrientDevice,
  readStored,
  sondeDevice,
  tempStation,
} from '../../scripts/support/stationFixture.js';

describe('excludeUplinks on an HJ 212 uplink', () => {
  const tmp = tempStation();
  let sim: SimulatorHandle;
  let platform: PlatformHandle;
  let agent: StationAgent;

  beforeAll(async () => {
    const port = await freePort();
    sim = await startSimulator({ mapFile: DEMO_MAP, port });
    platform = await startPlatform({ version: '2017', mn: 'EXCLUDE-1', pw: '123456', ack: false });
    const nutrient = nutrientDevice('lan', '1s');
    const yaml = stringify({
      version: 1,
      station: { id: 'exclude-it', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      http: { enabled: false },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
      devices: [
        {
          ...nutrient,
          channels: nutrient.channels.map((ch) => ({ ...ch, excludeUplinks: ['province'] })),
        },
        // Six digits tell the sonde's float32 pH from the analyzer's 0.01 steps (w01001 is N2.2 by default).
        (() => {
          const sonde = sondeDevice('lan', '1s');
          return {
            ...sonde,
            channels: sonde.channels.map((ch) => (ch.id === 'ph' ? { ...ch, decimals: 6 } : ch)),
          };
        })(),
      ],
      uplinks: [
        {
          id: 'province',
          type: 'hj212',
          host: '127.0.0.1',
          port: platform.port,
          version: 2017,
          mn: 'EXCLUDE-1',
          pw: '123456',
          st: 21,
          ack: false,
          send: ['realtime'],
          rtdInterval: '2s',
          reconnect: { min: '200ms', max: '2s' },
        },
      ],
    });
    const loaded = loadConfigText(yaml, 'exclude.yaml', {});
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    agent = new StationAgent({
      config: loaded.config,
      configHash: 'it',
      clock: systemClock,
      log: silentLogger(),
      control: noAgentControl,
      metrics: noMetrics,
    });
    agent.start();
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    await platform?.stop();
    await sim?.stop();
    tmp.remove();
  });

  it("the platform gets the sonde's pH under w01001 and never the analyzer's channels", async () => {
    const realtime = () =>
      platform.frames.filter((f) => f.segment.cn === '2011' && f.segment.cp.factors.has('w01001'));
    await waitFor(() => realtime().length >= 3, 45_000, 'three 2011 uploads with w01001');

    const stored = readStored(tmp.dbPath);
    const values = (device: string) =>
      new Set(
        stored
          .filter((r) => r.device === device && r.channel === 'ph' && r.value !== null)
          .map((r) => formatValue(r.value!, 6)),
      );
    const sondePh = values('sonde');
    const nutrientPh = values('nutrient');
    // Both are stored: the exclusion is about the uplink only.
    expect(nutrientPh.size).toBeGreaterThan(0);
    expect(stored.some((r) => r.device === 'nutrient' && r.channel === 'cod')).toBe(true);

    for (const f of platform.frames.filter((fr) => fr.segment.cn === '2011')) {
      expect(f.segment.cp.factors.has('w01018'), 'the excluded COD').toBe(false);
      const rtd = f.segment.cp.factors.get('w01001')?.get('Rtd');
      if (rtd === undefined) continue;
      // The sonde's float32 pH (e.g. 7.503124), not the analyzer's 0.01 steps (e.g. 7.610000).
      expect(sondePh.has(rtd), `w01001 ${rtd}`).toBe(true);
      expect(nutrientPh.has(rtd), `w01001 ${rtd}`).toBe(false);
    }
  }, 60_000);
});
