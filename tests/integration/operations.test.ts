/**
 * Issue 7 end to end with the built agent process and the Modbus simulator: the status server
 * (/api/status, /metrics, token), `station-agent status`, secrets kept out of the log, and hot
 * reload by SIGHUP (a device added without losing the running one; a broken file rejected).
 * Every wait has a deadline; nothing asserts how long something took.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/simulator/modbusTcpServer.js';
import { type AgentProcess, runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import {
  DEMO_MAP,
  nutrientDevice,
  readStored,
  sondeDevice,
  tempStation,
  writeYaml,
} from '../../scripts/support/stationFixture.js';

const TOKEN = 'status-token-for-the-test-0123';
const PASSWORD = 'mqtt-password-never-logged-42';
const INTERVAL = '500ms';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function station(devices: (bus: string) => unknown[]) {
  const tmp = tempStation();
  cleanups.push(() => tmp.remove());
  const simPort = await freePort();
  const sim = await startSimulator({ mapFile: DEMO_MAP, port: simPort });
  cleanups.push(() => sim.stop());
  const httpPort = await freePort();
  // Nothing listens here: the uplink stays disconnected and its backlog grows, no broker needed.
  const brokerPort = await freePort();
  const config = (devs: unknown[]) => ({
    version: 1,
    station: { id: '320700W009', name: 'operations', timezone: 'Asia/Shanghai' },
    storage: { path: tmp.dbPath },
    log: { level: 'debug' },
    buses: [{ id: 'lan', type: 'tcp', host: '127.0.0.1', port: simPort, timeout: '500ms', retries: 1 }],
    devices: devs,
    uplinks: [
      {
        id: 'center',
        type: 'mqtt',
        url: `mqtt://127.0.0.1:${brokerPort}`,
        username: 'station',
        password: PASSWORD,
        reconnect: { min: '200ms', max: '1s' },
      },
    ],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's env substitution syntax
    http: { listen: `127.0.0.1:${httpPort}`, token: '${STATUS_TOKEN}' },
  });
  writeYaml(tmp.configPath, config(devices('lan')));
  const base = `http://127.0.0.1:${httpPort}`;
  return { ...tmp, sim, base, config };
}

function startAgent(configPath: string): AgentProcess {
  const agent = runAgentCli(['run', '--config', configPath], { STATUS_TOKEN: TOKEN });
  cleanups.push(async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
  });
  return agent;
}

const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

interface StatusJson {
  devices: {
    id: string;
    link: string;
    values: { channel: string; value: number | null; unit: string | null }[];
  }[];
  uplinks: { id: string; connected: boolean; backlog: number }[];
  store: { bytes: number };
}

async function apiStatus(base: string): Promise<StatusJson | null> {
  try {
    const res = await fetch(`${base}/api/status`, auth);
    return res.ok ? ((await res.json()) as StatusJson) : null;
  } catch {
    return null; // not listening yet
  }
}

/** `name{labels} value` → value, for one exact series of a scrape. */
function series(scrape: string, name: string, labels: string): number | null {
  const line = scrape.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? null : Number(line.split(' ').pop());
}

async function cli(args: string[]) {
  const p = runAgentCli(args, { STATUS_TOKEN: TOKEN });
  const code = await p.exited;
  return { code, out: p.output() };
}

describe('operating a running agent', () => {
  it('serves status and metrics behind the token, shows a silent device failing, logs no secret', async () => {
    // A device name in Chinese, shown beside the id by `station-agent status` (issue 14).
    const st = await station((bus) => [
      { ...nutrientDevice(bus, INTERVAL), name: '营养盐分析仪' },
      sondeDevice(bus, INTERVAL),
    ]);
    const agent = startAgent(st.configPath);

    let status: StatusJson | null = null;
    await waitFor(
      async () => {
        status = await apiStatus(st.base);
        return status?.devices.every((d) => d.link === 'ok' && d.values.length > 0) === true;
      },
      20_000,
      '/api/status with both devices answering',
    );
    const s = status as unknown as StatusJson;
    expect(s.devices.map((d) => d.id)).toEqual(['nutrient', 'sonde']);
    expect(s.devices[0]?.values.find((v) => v.channel === 'cod')?.unit).toBe('mg/L');
    expect(s.uplinks).toEqual([expect.objectContaining({ id: 'center', connected: false })]);
    expect(s.store.bytes).toBeGreaterThan(0);

    // No token, or a wrong one: refused.
    expect((await fetch(`${st.base}/api/status`)).status).toBe(401);
    expect((await fetch(`${st.base}/metrics?token=wrong`)).status).toBe(401);

    const scrape = async () => (await fetch(`${st.base}/metrics`, auth)).text();
    const first = await scrape();
    const polls = series(first, 'station_agent_polls_total', 'device="nutrient",bus="lan"');
    expect(polls).not.toBeNull();
    expect(series(first, 'station_agent_uplink_backlog', 'uplink="center"')).not.toBeNull();
    // The process's own metrics (prom-client's defaults) beside the agent's.
    const plain = (name: string) => first.split('\n').find((l) => l.startsWith(`${name} `));
    expect(Number(plain('process_resident_memory_bytes')?.split(' ')[1])).toBeGreaterThan(1e6);
    expect(Number(plain('process_open_fds')?.split(' ')[1])).toBeGreaterThan(0);
    expect(plain('process_cpu_seconds_total'), first).toBeDefined();
    expect(plain('nodejs_eventloop_lag_p99_seconds'), first).toBeDefined();
    expect(Number(plain('nodejs_heap_size_used_bytes')?.split(' ')[1])).toBeGreaterThan(0);
    expect(first).toContain(`nodejs_version_info{version="${process.version}"`);
    await waitFor(
      async () =>
        (series(await scrape(), 'station_agent_polls_total', 'device="nutrient",bus="lan"') ?? 0) >
        (polls ?? 0),
      10_000,
      'the polls counter to grow between two scrapes',
    );

    // The CLI asks the same server, with the token from the same config.
    const shown = await cli(['status', '--config', st.configPath]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('nutrient (营养盐分析仪)');
    expect(shown.out).toContain('sonde');
    expect(shown.out).toContain('center');

    st.sim.setSilent(7, true);
    await waitFor(
      async () => (await apiStatus(st.base))?.devices.find((d) => d.id === 'nutrient')?.link === 'failing',
      15_000,
      'the silent nutrient analyzer to show as failing',
    );
    const after = await apiStatus(st.base);
    expect(after?.devices.find((d) => d.id === 'sonde')?.link).toBe('ok');
    await waitFor(
      async () =>
        (series(
          await scrape(),
          'station_agent_poll_failures_total',
          'device="nutrient",bus="lan",code="MODBUS_TIMEOUT"',
        ) ?? 0) > 0,
      10_000,
      'a MODBUS_TIMEOUT failure counted',
    );

    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    // Debug-level logs of a whole run, the uplink's connection attempts included: no secret in them.
    expect(agent.output()).toContain('status server listening');
    expect(agent.output()).not.toContain(PASSWORD);
    expect(agent.output()).not.toContain(TOKEN);

    const gone = await cli(['status', '--config', st.configPath]);
    expect(gone.code).toBe(1);
    expect(gone.out).toContain('the agent is not running');
  });

  it('applies a config file on SIGHUP without a restart and rejects a broken one', async () => {
    const st = await station((bus) => [nutrientDevice(bus, INTERVAL)]);
    const agent = startAgent(st.configPath);
    const count = (device: string) => readStored(st.dbPath).filter((r) => r.device === device).length;
    await waitFor(() => count('nutrient') > 0, 20_000, 'the first readings of the nutrient analyzer');

    // `station-agent reload` validates, finds the agent through agent.pid and sends SIGHUP.
    writeYaml(st.configPath, st.config([nutrientDevice('lan', INTERVAL), sondeDevice('lan', INTERVAL)]));
    const reload = await cli(['reload', '--config', st.configPath]);
    expect(reload.code).toBe(0);
    await waitFor(() => count('sonde') > 0, 20_000, 'readings of the device added by the reload');
    const nutrientAtAdd = count('nutrient');
    await waitFor(() => count('nutrient') > nutrientAtAdd, 20_000, 'the first device to keep polling');

    // A broken file: `reload` refuses it itself, and a bare SIGHUP is rejected by the agent.
    writeFileSync(st.configPath, 'version: 1\nstation: { id: "320700W009"\nstorage: [\n');
    const refused = await cli(['reload', '--config', st.configPath]);
    expect(refused.code).toBe(2);
    agent.kill('SIGHUP');
    await waitFor(() => agent.output().includes('config rejected'), 20_000, 'the rejection in the log');
    expect(agent.output()).toMatch(/station\.yaml:\d+:\d+/);
    const sondeAtReject = count('sonde');
    const nutrientAtReject = count('nutrient');
    await waitFor(
      () => count('sonde') > sondeAtReject && count('nutrient') > nutrientAtReject,
      20_000,
      'both devices to keep polling under the running config',
    );
    expect(agent.child.exitCode).toBeNull();

    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    // The readings stored before the reloads are all still there (one store across reloads).
    expect(readStored(st.dbPath).filter((r) => r.device === 'nutrient').length).toBeGreaterThanOrEqual(
      nutrientAtReject,
    );
  });
});
