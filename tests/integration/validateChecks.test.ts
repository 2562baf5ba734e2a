/**
 * Issue 14 as the user meets it: `station-agent validate` (the built CLI, a child process) on files
 * it used to pass as valid, and `run` logging the warnings at start and refusing a GBK file on
 * reload. Exit codes: 2 with any error, 0 with warnings only.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgentCli, waitFor } from '../../scripts/support/agentProcess.js';
import { freePort } from '../../scripts/support/freePort.js';
import { tempStation } from '../../scripts/support/stationFixture.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

async function validate(file: string) {
  const p = runAgentCli(['validate', '--config', file]);
  const code = await p.exited;
  return { code, out: p.output() };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanups.splice(0).reverse()) fn();
});

describe('station-agent validate', () => {
  it('two channels with one HJ 212 code on an HJ 212 uplink: exit 2, both places named', async () => {
    const file = join(FIXTURES, 'duplicate-hj212-code.yaml');
    const { code, out } = await validate(file);
    expect(code).toBe(2);
    expect(out).toContain(`${file}:21:25  devices[1].channels[1].code  HJ 212 code "w01001" of sonde/ph`);
    expect(out).toContain(`(nutrient/ph at ${file}:14:25)`);
    expect(out).toContain('hint: give each channel its own code');
    expect(out).toContain('1 problem; the agent did not start.');
  });

  it('the same with excludeUplinks on one of them: valid, exit 0', async () => {
    const { code, out } = await validate(join(FIXTURES, 'exclude-uplinks.yaml'));
    expect(out).toContain('valid — station 320700W001');
    expect(code).toBe(0);
  });

  it('excludeUplinks naming a misspelt or an MQTT uplink: exit 2, with a did-you-mean', async () => {
    const file = join(FIXTURES, 'exclude-uplinks-unknown.yaml');
    const { code, out } = await validate(file);
    expect(code).toBe(2);
    expect(out).toContain(
      `${file}:22:26  devices[1].channels[0].excludeUplinks[0]  unknown uplink "provnice"`,
    );
    expect(out).toContain('hint: did you mean "province"?');
    expect(out).toContain(
      `${file}:22:36  devices[1].channels[0].excludeUplinks[1]  uplink "cloud" is of type mqtt`,
    );
  });

  it('Modicon-style addresses: warnings at each address with the 0-based address meant, exit 0', async () => {
    const file = join(FIXTURES, 'modicon-address.yaml');
    const { code, out } = await validate(file);
    expect(out).toContain(
      `${file}:13:54  warning  devices[0].channels[0].register.address  address 30017 looks Modicon-style ` +
        '(3xxxx = input registers numbered from 1): it probably means input register 16',
    );
    expect(out).toContain('hint: if the manual lists 30017, write address: 16');
    expect(out).toContain(`${file}:14:58  warning  `);
    expect(out).toContain(`${file}:15:60  warning  `);
    expect(out).toContain(`${file}:16:55  warning  devices[0].channels[3].register.address  address 00017`);
    expect(out).toMatch(/valid — station 320700W001, .*; 4 warnings\n$/);
    expect(code).toBe(0);
  });

  it('a 6-digit Modicon address: the error and the warning, exit 2', async () => {
    const { code, out } = await validate(join(FIXTURES, 'modicon-six-digit.yaml'));
    expect(code).toBe(2);
    expect(out).toContain('probably means input register 16');
    expect(out).toContain('expected a whole number from 0 to 65535 (got 300017)');
    expect(out).toContain('1 problem and 1 warning; the agent did not start.');
  });

  it('a float32 at 65535 (and other values past the address space): exit 2', async () => {
    const file = join(FIXTURES, 'register-past-end.yaml');
    const { code, out } = await validate(file);
    expect(code).toBe(2);
    expect(out).toContain(
      `${file}:12:58  devices[0].channels[0].register.address  type float32 takes 2 registers: ` +
        'at address 65535 it needs 65535–65536, past the last Modbus address 65535',
    );
    expect(out).toContain('3 problems; the agent did not start.');
  });

  it('a file saved in GBK: exit 2 at the first GBK byte, naming GBK and how to convert', async () => {
    const file = join(FIXTURES, 'gbk-station.yaml');
    const { code, out } = await validate(file);
    expect(code).toBe(2);
    expect(out).toContain(`${file}:4:37  the file is not UTF-8 (byte 0xC4 here): it looks like GBK/GB18030`);
    expect(out).toContain('name: "南京水质站"');
    expect(out).toContain('iconv -f GBK -t UTF-8 gbk-station.yaml > gbk-station.utf8.yaml');
    expect(out).toContain('Save As, Encoding: UTF-8');
  });

  it('a file with a UTF-8 byte order mark is valid', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    const text = `version: 1\nstation: { id: "320700W001", name: 南京水质站 }\nstorage: { path: ${tmp.dbPath} }\n`;
    writeFileSync(tmp.configPath, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    const { code, out } = await validate(tmp.configPath);
    expect(out).toContain('valid — station 320700W001');
    expect(code).toBe(0);
  });

  it('duplicate ids point at the first definition', async () => {
    const file = join(FIXTURES, 'duplicate-ids.yaml');
    const { code, out } = await validate(file);
    expect(code).toBe(2);
    expect(out).toContain(
      `${file}:7:11  buses[1].id  duplicate bus id "lan" (first defined at ${file}:6:11)`,
    );
    expect(out).toContain(
      `${file}:14:15  devices[0].channels[1].id  duplicate channel id "temp" (first defined at ${file}:13:15)`,
    );
    expect(out).toContain(
      `${file}:17:11  uplinks[1].id  duplicate uplink id "cloud" (first defined at ${file}:16:11)`,
    );
  });
});

describe('station-agent run', () => {
  it('logs the warnings at start and runs; a GBK file on reload is rejected and the running config kept', async () => {
    const tmp = tempStation();
    cleanups.push(() => tmp.remove());
    // Nothing listens on the bus: polls fail, which is all this test needs.
    const busPort = await freePort();
    const lines = [
      'version: 1',
      'station: { id: "320700W001" }',
      `storage: { path: ${tmp.dbPath} }`,
      'http: { enabled: false }',
      `buses: [{ id: lan, type: tcp, host: 127.0.0.1, port: ${busPort}, timeout: 200ms, retries: 0 }]`,
      'devices:',
      '  - { id: sonde, bus: lan, interval: 1s, channels: [{ id: ph, register: { table: input, address: 30017, type: int16 } }] }',
    ];
    writeFileSync(tmp.configPath, `${lines.join('\n')}\n`);
    const agent = runAgentCli(['run', '--config', tmp.configPath]);
    cleanups.push(() => agent.kill('SIGKILL'));
    const logged = () =>
      agent
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; code?: string; level: number });
    await waitFor(() => logged().some((l) => l.msg === 'station agent ready'), 20_000, 'the agent to start');
    const warning = logged().find((l) => l.code === 'CONFIG_WARNING');
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toContain(
      `${tmp.configPath}:7:${lines[6]!.indexOf('30017') + 1}  warning  devices[0].channels[0].register.address  address 30017 looks Modicon-style`,
    );

    // The same file re-saved in GBK by a Windows editor (a station name added): refused on SIGHUP.
    const gbkName = Buffer.from([0xc4, 0xcf, 0xbe, 0xa9]);
    writeFileSync(
      tmp.configPath,
      Buffer.concat([
        Buffer.from(`${lines.join('\n')}\nlog: { level: info }\n# `),
        gbkName,
        Buffer.from('\n'),
      ]),
    );
    agent.kill('SIGHUP');
    await waitFor(() => logged().some((l) => l.msg.includes('config rejected')), 20_000, 'the rejection');
    const rejected = logged().find((l) => l.msg.includes('config rejected'));
    expect(rejected?.msg).toContain(`${tmp.configPath}:9:3  the file is not UTF-8`);
    expect(rejected?.msg).toContain('GBK');
    expect(agent.child.exitCode).toBeNull();
    // The running config is kept: the GBK file was never applied.
    expect(logged().filter((l) => l.msg === 'reload: applying the config file')).toEqual([]);
    agent.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 60_000);
});
