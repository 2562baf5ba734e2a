/**
 * Issue 14 end to end: float32 registers of the Modbus simulator (constant 7.6, 17.51, 17.510412…)
 * read by the built agent process arrive as the decimals the analyzer meant, as text, everywhere the
 * user looks: the MQTT payload on a real mosquitto, the HJ 212 frame at our platform simulator (by
 * the channel's decimals or the standard's field format), `station-agent status`, and the CSV of the
 * built `export`, whose bytes start with a UTF-8 byte order mark and whose station-time column is
 * what Excel reads as a date.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as mqttConnect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type PlatformHandle, startPlatform } from '../../scripts/platform/platformServer.js';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import type { SimulatorMapInput } from '../../scripts/simulator/simulatorConfig.js';
import { AGENT_CLI, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { startMosquitto } from '../../scripts/support/mosquitto.js';
import { tempStation, writeYaml } from '../../scripts/support/stationFixture.js';

const STATION = '320700W014';
const MN = 'VALUES-TEST-2017';
const TOPIC = `it/${STATION}/readings`;

/** One analyzer whose registers never change: every reading must carry exactly these decimals. */
const MAP: SimulatorMapInput = {
  name: 'values',
  updateInterval: '1s',
  units: [
    {
      unit: 1,
      name: 'analyzer',
      points: [
        {
          name: 'cod',
          table: 'input',
          address: 0,
          type: 'float32',
          generator: { kind: 'constant', value: 7.6 },
        },
        {
          name: 'nh3n',
          table: 'input',
          address: 2,
          type: 'float32',
          order: 'CDAB',
          generator: { kind: 'constant', value: 17.51 },
        },
        {
          name: 'wtemp',
          table: 'input',
          address: 4,
          type: 'float32',
          order: 'DCBA',
          generator: { kind: 'constant', value: 17.510412 },
        },
        {
          name: 'cond',
          table: 'input',
          address: 6,
          type: 'float32',
          generator: { kind: 'constant', value: 512.3 },
        },
        // Tenths in an int16: the register holds 3.
        {
          name: 'turb',
          table: 'input',
          address: 8,
          type: 'int16',
          scale: 0.1,
          generator: { kind: 'constant', value: 0.3 },
        },
      ],
    },
  ],
};

const reg = (address: number, type: string, order = 'ABCD') => ({ table: 'input', address, type, order });

const CHANNELS = [
  // COD: N5.1 in the standard's code table.
  { id: 'cod', code: 'w01018', unit: 'mg/L', register: reg(0, 'float32') },
  // Ammonia nitrogen: N4.2.
  { id: 'nh3n', code: 'w21003', unit: 'mg/L', register: reg(2, 'float32', 'CDAB') },
  // Water temperature: N3.1 in the table, 2 decimals by the channel's own setting.
  { id: 'wtemp', code: 'w01010', unit: '°C', decimals: 2, register: reg(4, 'float32', 'DCBA') },
  // Conductivity: N3.1; its unit is what Excel on a Chinese Windows garbles without a BOM.
  { id: 'cond', code: 'w01014', unit: 'μS/cm', register: reg(6, 'float32') },
  // Turbidity: not in the 2017 table, no decimals: as measured. 3 × 0.1 must be 0.3.
  { id: 'turb', code: 'w01003', unit: 'NTU', register: reg(8, 'int16'), scale: 0.1 },
  // The same float32 7.6 in °F: 7.6 × 1.8 + 32 = 45.68 (binary arithmetic: 45.67999982833862). No code.
  { id: 'cod_f', unit: '°F', register: reg(0, 'float32'), scale: 1.8, offset: 32 },
];

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Raw payload text of every message on `topic`: the check is on the characters sent, not on parsed numbers. */
async function rawMessages(url: string, topic: string) {
  const client = mqttConnect(url, { clientId: `values-${process.pid}`, reconnectPeriod: 100 });
  client.on('error', () => {});
  const texts: string[] = [];
  client.on('message', (_t, message) => texts.push(message.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () =>
      client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve())),
    );
  });
  return { texts, close: () => client.endAsync() };
}

async function cli(args: string[]) {
  const p = runAgentCli(args);
  const code = await p.exited;
  return { code, out: p.output() };
}

const frameText = (p: PlatformHandle) => p.frames.map((f) => f.raw.toString('utf8'));

describe('values as the instrument meant them, end to end', () => {
  it('MQTT, HJ 212, status and the exported CSV carry 7.6 and 17.51, not 7.599999904632568', async () => {
    const simPort = await freePort();
    const sim = await startSimulator({ map: MAP, port: simPort });
    cleanups.push(() => sim.stop());
    const broker = await startMosquitto();
    cleanups.push(() => broker.dispose());
    const mqtt = await rawMessages(broker.url, TOPIC);
    cleanups.push(() => mqtt.close());
    const platform = await startPlatform({ version: '2017', mn: MN, pw: '123456', ack: false });
    cleanups.push(() => platform.stop());
    const httpPort = await freePort();

    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    writeYaml(tmp.configPath, {
      version: 1,
      station: { id: STATION, name: '数值测试站', timezone: 'Asia/Shanghai' },
      storage: { path: tmp.dbPath },
      buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '2s', retries: 2 }],
      devices: [{ id: 'analyzer', bus: 'lan', unit: 1, interval: '1s', channels: CHANNELS }],
      uplinks: [
        {
          id: 'center',
          type: 'mqtt',
          url: broker.url,
          topicPrefix: 'it',
          batch: { maxReadings: 20, maxDelay: '200ms' },
        },
        {
          id: 'province',
          type: 'hj212',
          host: '127.0.0.1',
          port: platform.port,
          version: 2017,
          mn: MN,
          pw: '123456',
          st: 21,
          ack: false,
          rtdInterval: '2s',
          send: ['realtime'],
          reconnect: { min: '200ms', max: '2s' },
        },
      ],
      http: { listen: `127.0.0.1:${httpPort}` },
    });
    const startedAt = Date.now();
    const agent = runAgentCli(['run', '--config', tmp.configPath]);
    cleanups.push(async () => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    });

    // MQTT: the JSON text itself, reading by reading.
    const mqttHas = (channel: string) => mqtt.texts.some((t) => t.includes(`"channel":"${channel}"`));
    await waitFor(
      () => CHANNELS.every((c) => mqttHas(c.id)),
      30_000,
      `MQTT readings of every channel (agent output: ${agent.output()})`,
    );
    const all = mqtt.texts.join('\n');
    expect(all).toContain('"channel":"cod","code":"w01018","value":7.6,"unit":"mg/L","flag":"N"');
    expect(all).toContain('"channel":"nh3n","code":"w21003","value":17.51,"unit":"mg/L","flag":"N"');
    // MQTT carries the float's shortest decimal in full: decimals only shape presentation.
    expect(all).toContain('"channel":"wtemp","code":"w01010","value":17.510412,"unit":"°C","flag":"N"');
    expect(all).toContain('"channel":"cond","code":"w01014","value":512.3,"unit":"μS/cm","flag":"N"');
    expect(all).toContain('"channel":"turb","code":"w01003","value":0.3,"unit":"NTU","flag":"N"');
    expect(all).toContain('"channel":"cod_f","code":null,"value":45.68,"unit":"°F","flag":"N"');
    expect(all).not.toMatch(/7\.59999|17\.5100002|0\.30000000|45\.6799/);

    // HJ 212: the CP text as framed, each value by its decimals.
    const codes = ['w01018', 'w21003', 'w01010', 'w01014', 'w01003'];
    const complete = (text: string) =>
      text.includes('CN=2011') && codes.every((c) => text.includes(`${c}-Rtd=`));
    await waitFor(() => frameText(platform).some(complete), 30_000, 'a 2011 frame with every factor');
    const frame = frameText(platform).find(complete)!;
    expect(frame).toContain('w01018-Rtd=7.6,w01018-Flag=N');
    expect(frame).toContain('w21003-Rtd=17.51,w21003-Flag=N');
    expect(frame).toContain('w01010-Rtd=17.51,w01010-Flag=N');
    expect(frame).toContain('w01014-Rtd=512.3,w01014-Flag=N');
    expect(frame).toContain('w01003-Rtd=0.3,w01003-Flag=N');
    expect(platform.faults).toEqual([]);

    // The status report carries the decimals; `station-agent status` shows the values by them.
    const api = (await (await fetch(`http://127.0.0.1:${httpPort}/api/status`)).json()) as {
      devices: { values: { channel: string; value: number | null; decimals: number | null }[] }[];
    };
    const decimals = Object.fromEntries(api.devices[0]!.values.map((v) => [v.channel, v.decimals]));
    expect(decimals).toEqual({ cod: 1, nh3n: 2, wtemp: 2, cond: 1, turb: null, cod_f: null });
    const status = await cli(['status', '--config', tmp.configPath]);
    expect(status.code, status.out).toBe(0);
    for (const shown of [
      'cod=7.6 mg/L N',
      'nh3n=17.51 mg/L N',
      'wtemp=17.51 °C N',
      'cond=512.3 μS/cm N',
      'turb=0.3 NTU N',
      'cod_f=45.68 °F N',
    ]) {
      expect(status.out).toContain(shown);
    }

    agent.kill('SIGTERM');
    expect(await agent.exited, agent.output()).toBe(0);

    // The export, as a technician runs it: a file for Excel.
    const csvPath = join(tmp.dir, 'values.csv');
    const from = new Date(startedAt - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const exported = await cli([
      'export',
      '--config',
      tmp.configPath,
      '--from',
      from,
      '--to',
      to,
      '-o',
      csvPath,
    ]);
    expect(exported.code, exported.out).toBe(0);
    const bytes = readFileSync(csvPath);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 byte order mark
    const lines = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,utc_time,station_time (Asia/Shanghai),device,channel,code,value,unit,flag');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.length).toBeGreaterThanOrEqual(CHANNELS.length);
    for (const [, utc, local] of rows) {
      expect(local).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      // Station time is UTC + 8 h in Shanghai, to the second.
      const wall = new Date(Date.parse(utc!) + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
      expect(local).toBe(wall);
    }
    // A poll the loaded machine let time out is stored B without a value: the others must all be exact.
    const valuesOf = (channel: string) =>
      new Set(rows.filter((r) => r[4] === channel && r[8] === 'N').map((r) => r.slice(6, 8).join(' ')));
    expect(valuesOf('cod')).toEqual(new Set(['7.6 mg/L']));
    expect(valuesOf('nh3n')).toEqual(new Set(['17.51 mg/L']));
    expect(valuesOf('wtemp')).toEqual(new Set(['17.510412 °C']));
    expect(valuesOf('cond')).toEqual(new Set(['512.3 μS/cm']));
    expect(valuesOf('turb')).toEqual(new Set(['0.3 NTU']));
    expect(valuesOf('cod_f')).toEqual(new Set(['45.68 °F']));

    // --no-bom, to standard output: the same rows without the mark.
    const plain = spawnSync(
      process.execPath,
      [AGENT_CLI, 'export', '--config', tmp.configPath, '--from', from, '--to', to, '--no-bom'],
      { encoding: 'utf8' },
    );
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stdout.startsWith('seq,utc_time,station_time (Asia/Shanghai),')).toBe(true);
    expect(plain.stdout.trimEnd().split('\r\n')).toEqual(lines);
  });
});
