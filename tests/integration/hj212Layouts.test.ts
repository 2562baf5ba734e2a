/**
 * Issue 13, end to end: the agent (in-process, real time, real Modbus simulator, real SQLite) with
 * one HJ 212-2025 uplink per SM4 layout, each to a platform simulator set up for that same layout,
 * as a third-party platform of that family would be. Every encrypted upload must arrive in the
 * platform's layout (the simulator names the layout of each frame it reads), a key exchange sent by
 * the platform in its layout must be executed, and a platform request without a QN must be answered.
 * The agent's /metrics counts the layout each platform used and the deviation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { StationAgent } from '../../agent/app/stationAgent.js';
import { loadConfigText } from '../../agent/config/load.js';
import { silentLogger } from '../../agent/core/log.js';
import { createAgentMetrics } from '../../agent/http/metrics.js';
import { noAgentControl } from '../../agent/uplink/agentControl.js';
import { buildCommand } from '../../drivers/hj212/commands.js';
import { formatDataSegment } from '../../drivers/hj212/dataSegment.js';
import { readAnswer } from '../../drivers/hj212/messages.js';
import { layoutLabel, resolveLayout, SM4_PRESETS, type Sm4Layout } from '../../drivers/hj212/sm4Layout.js';
import { type PlatformHandle, startPlatform } from '../../scripts/platform/platformServer.js';
import { type SimulatorHandle, startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { DEMO_MAP, nutrientDevice, tempStation } from '../../scripts/support/stationFixture.js';
import { frameOf } from '../unit/hj212/vectors.js';

const MN = '010000A8900016F000169DC0';
const PW = '654321';
const KEY = 'K3y-For-SM4-2025';

/** Each preset, and layouts no preset names (what a platform might ask for part by part). */
const LAYOUTS: { name: string; encryption: Record<string, string>; layout: Sm4Layout }[] = [
  ...Object.entries(SM4_PRESETS).map(([preset, layout]) => ({
    name: preset,
    encryption: { preset },
    layout: resolveLayout(layout),
  })),
  {
    name: 'base64-all',
    encryption: { encoding: 'base64', tail: 'encoded', crc: 'ciphertext' },
    layout: resolveLayout({ encoding: 'base64', tail: 'encoded', crc: 'ciphertext' }),
  },
  {
    name: 'braces-crc-as-sent',
    encryption: { preset: 'printed-example', crc: 'ciphertext' },
    layout: resolveLayout({ encoding: 'braces', crc: 'ciphertext' }),
  },
];

describe('HJ 212-2025 SM4: the agent sends each layout as its platform expects it', () => {
  const tmp = tempStation();
  const metrics = createAgentMetrics(() => null);
  let sim: SimulatorHandle;
  let agent: StationAgent;
  const platforms = new Map<string, PlatformHandle>();

  beforeAll(async () => {
    const port = await freePort();
    sim = await startSimulator({ mapFile: DEMO_MAP, port });
    for (const l of LAYOUTS) {
      platforms.set(
        l.name,
        await startPlatform({ version: '2025', mn: MN, pw: PW, ack: true, sm4Key: KEY, layout: l.layout }),
      );
    }
    const yaml = stringify({
      version: 1,
      station: { id: 'hj212-layouts', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port, timeout: '500ms', retries: 1 }],
      devices: [nutrientDevice('lan', '1s')],
      uplinks: LAYOUTS.map((l) => ({
        id: l.name,
        type: 'hj212',
        host: '127.0.0.1',
        port: platforms.get(l.name)!.port,
        version: 2025,
        mn: MN,
        pw: PW,
        st: 21,
        send: ['realtime'],
        rtdInterval: '2s',
        ack: true,
        timeout: '2s',
        heartbeat: '0s',
        reconnect: { min: '200ms', max: '1s' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${ENV} syntax
        encryption: { type: 'sm4', key: '${HJ212_KEY}', ...l.encryption },
      })),
    });
    const loaded = loadConfigText(yaml, 'layouts.yaml', { HJ212_KEY: KEY });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    agent = new StationAgent({
      config: loaded.config,
      configHash: 'it',
      clock: {
        now: () => Date.now(),
        monotonic: () => performance.now(),
        setTimeout: (fn, ms) => ({ id: setTimeout(fn, ms) }),
        clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout),
      },
      log: silentLogger(),
      metrics: metrics.sink,
      control: noAgentControl,
    });
    agent.start();
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    for (const p of platforms.values()) await p.stop();
    await sim?.stop();
    tmp.remove();
  });

  const uploads = (p: PlatformHandle) => p.frames.filter((f) => f.segment.cn === '2011');

  it('every platform reads the uploads in its own layout', async () => {
    await waitFor(
      () => [...platforms.values()].every((p) => uploads(p).length >= 2),
      40_000,
      'two real-time uploads at every platform',
    );
    for (const l of LAYOUTS) {
      const p = platforms.get(l.name)!;
      expect(
        uploads(p).map((f) => [f.encrypted, f.variant, f.tolerated]),
        l.name,
      ).toEqual(uploads(p).map(() => [true, layoutLabel(l.layout), []]));
      expect(uploads(p)[0]?.segment.cp.factors.get('w01018')?.get('Flag')).toBeDefined();
      expect([...p.rejections, ...p.faults], l.name).toEqual([]);
    }
  }, 60_000);

  it('a key exchange sent by each platform in its layout is executed; uploads go on under the new key', async () => {
    await Promise.all(
      LAYOUTS.map(async (l, i) => {
        const p = platforms.get(l.name)!;
        const newSk = `NEWKEY-${String(i).padStart(9, '0')}`;
        const r = await p.request(
          { kind: 'key-exchange', skCreateTime: '20240601120000', newSk },
          { timeoutMs: 10_000 },
        );
        expect(r.exeRtn, l.name).toBe(1);
        expect(p.sm4Key).toBe(newSk);
        const after = uploads(p).length;
        await waitFor(
          () => uploads(p).length >= after + 1,
          20_000,
          `an upload to ${l.name} under the new key`,
        );
        expect(uploads(p).at(-1)).toMatchObject({ encrypted: true, variant: layoutLabel(l.layout) });
        expect([...p.rejections, ...p.faults], l.name).toEqual([]);
      }),
    );
    const text = await metrics.scrape();
    for (const l of LAYOUTS) {
      expect(text).toContain(
        `station_agent_hj212_frame_variants_total{uplink="${l.name}",variant="${layoutLabel(l.layout)}"} 1`,
      );
    }
  }, 60_000);

  it('a platform request without a QN is answered under a QN of the agent’s, and counted', async () => {
    const p = platforms.get('standard')!;
    const cmd = formatDataSegment(buildCommand(p.identity(), '1', { kind: 'get-rtd-interval' })).replace(
      'QN=1;',
      '',
    );
    const before = p.frames.length;
    p.sendRaw(frameOf(cmd));
    await waitFor(
      () => p.frames.slice(before).some((f) => f.segment.cn === '9012'),
      10_000,
      'the 9012 of the QN-less request',
    );
    const answers = p.frames.slice(before).filter((f) => f.segment.cn !== '2011');
    expect(answers.map((f) => f.segment.cn)).toEqual(['9011', '1061', '9012']);
    expect(new Set(answers.map((f) => f.segment.qn)).size).toBe(1);
    expect(readAnswer(answers[2]!.segment)).toMatchObject({ exeRtn: 1 });
    expect(await metrics.scrape()).toContain(
      'station_agent_hj212_frame_variants_total{uplink="standard",variant="no-qn"} 1',
    );
  }, 30_000);
});
