import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { driverFor } from '../../../agent/acquisition/driverPlugin.js';
import { AgentSupervisor } from '../../../agent/app/agentSupervisor.js';
import { describeBus } from '../../../agent/app/createBus.js';
import { DRIVER_PLUGINS } from '../../../agent/app/plugins.js';
import { readCommand } from '../../../agent/cli/readCommand.js';
import { loadConfigText } from '../../../agent/config/load.js';
import { busSchema, type DeviceConfig } from '../../../agent/config/schema.js';
import { systemClock } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import { freePort } from '../../../scripts/support/freePort.js';

/** Issue 16 part 2: the HJ 212 input as a driver plugin, and what `read` says of its devices. */

const station = (port: number, db: string) => `version: 1
station: { id: s1 }
storage: { path: ${db} }
buses: [{ id: logger-in, type: hj212-server, host: 127.0.0.1, port: ${port} }]
devices:
  - id: logger1
    bus: logger-in
    interval: 30s
    logger: { mn: "LOGGER1", pw: "123456", version: 2017 }
    channels: [{ id: cod, code: w01018 }]
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hj212-input-plugin-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the HJ 212 input plugin', () => {
  it('claims devices with a logger block, before Modbus, and names its bus', () => {
    const logger = { id: 'l', logger: { mn: 'MN1' } } as unknown as DeviceConfig;
    const server = busSchema.parse({ id: 'in', type: 'hj212-server', port: 9001 });
    expect(driverFor(DRIVER_PLUGINS, logger, server).name).toBe('hj212-input');
    expect(driverFor(DRIVER_PLUGINS, logger, server).cli).toEqual({
      describeDevice: expect.any(Function),
      scan: false,
      listen: false,
    });
    expect(describeBus(busSchema.parse({ id: 'in', type: 'hj212-server', port: 9001 }))).toBe(
      'HJ 212 input 0.0.0.0:9001',
    );
  });

  it("leaves a logger's devices out of the self-watchdog's progress: a silent logger is not a stalled agent", async () => {
    const port = await freePort();
    const text = station(port, join(dir, 'x.db'));
    const loaded = loadConfigText(text, 'station.yaml', {});
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const supervisor = new AgentSupervisor({
      configPath: join(dir, 'station.yaml'),
      clock: systemClock,
      log: silentLogger(),
      http: false,
    });
    supervisor.start(loaded.config, 'hash');
    try {
      expect(supervisor.acquisitionProgress()).toEqual({ completed: 0, devices: 0, longestIntervalMs: 0 });
    } finally {
      await supervisor.stop();
    }
  });

  it('`read` of a logger device says it cannot be asked (exit 2), without opening the port', async () => {
    const config = join(dir, 'station.yaml');
    writeFileSync(config, station(9001, join(dir, 'x.db')));
    let err = '';
    const code = await readCommand(
      { config, device: 'logger1' },
      { out: { write: () => true }, err: { write: (t: string) => (err += t) } },
    );
    expect(code).toBe(2);
    expect(err).toMatch(/device logger1 is not polled \(its driver listens\)/);
  });
});
