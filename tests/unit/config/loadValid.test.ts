import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  formatProblems,
  type LoadResult,
  loadConfig,
  loadConfigSync,
  loadConfigText,
} from '../../../agent/config/load.js';
import type { StationConfig } from '../../../agent/config/schema.js';

const examplePath = fileURLToPath(new URL('../../../config/examples/water-station.yaml', import.meta.url));

function configOf(result: LoadResult): StationConfig {
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

const MINIMAL = `
version: 1
station: { id: "320700W001" }
storage: { path: ./data/test.db }
buses:
  - { id: lan, type: tcp, host: 10.0.0.5 }
devices:
  - id: sonde
    bus: lan
    interval: 1.5s
    channels:
      - { id: temp, register: { table: holding, address: 0, type: float32 } }
uplinks:
  - { id: center, type: mqtt, url: "mqtt://10.0.0.1" }
`;

describe('loadConfig accepts valid configurations', () => {
  it('loads the example without any environment variable', async () => {
    const result = await loadConfig(examplePath, {});
    const config = configOf(result);
    expect(config.station.id).toBe('320700W001');
    expect(config.devices.map((d) => d.id)).toEqual(['nutrient', 'nh3n', 'sonde']);
    // The sonde's channels come from its profile (generic/five-parameter-sonde).
    expect(config.devices[2]!.channels.map((c) => c.code)).toEqual([
      'w01010',
      'w01001',
      'w01009',
      'w01014',
      'w01003',
    ]);
    // The hash identifies the exact file text (logs, change detection).
    const text = readFileSync(examplePath, 'utf8');
    expect(result.ok && result.hash).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('starts with the yaml-language-server schema line', () => {
    expect(readFileSync(examplePath, 'utf8').split('\n')[0]).toBe(
      '# yaml-language-server: $schema=../schema.json',
    );
  });

  it('reads numeric YAML keys of status.flags as state values', async () => {
    const config = configOf(await loadConfig(examplePath, {}));
    expect(config.devices[0]!.status?.flags).toEqual({ 0: 'N', 1: 'C', 2: 'M', 3: 'D', 4: 'N' });
    expect(Object.keys(config.devices[0]!.status!.flags)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('parses durations to milliseconds', async () => {
    const config = configOf(await loadConfig(examplePath, {}));
    expect(config.buses[0]).toMatchObject({ timeout: 1000 });
    expect(config.devices[0]!.interval).toBe(60_000);
    expect(config.devices[0]!.channels[0]!.cycle).toBe(3_600_000);
    expect(config.devices[2]!.interval).toBe(30_000);
    expect(config.uplinks[0]).toMatchObject({ batch: { maxDelay: 2000 } });
    expect(configOf(loadConfigText(MINIMAL, 'min.yaml', {})).devices[0]!.interval).toBe(1500);
  });

  it('applies defaults for everything left out', () => {
    const config = configOf(loadConfigText(MINIMAL, 'min.yaml', {}));
    expect(config.station).toEqual({ id: '320700W001', name: '', timezone: 'Asia/Shanghai' });
    expect(config.storage.synchronous).toBe('full');
    expect(config.log.level).toBe('info');
    expect(config.buses[0]).toMatchObject({
      port: 502,
      timeout: 1000,
      retries: 1,
      reconnect: { min: 500, max: 30_000 },
    });
    expect(config.devices[0]).toMatchObject({ unit: 1, enabled: true, workarounds: {} });
    expect(config.devices[0]!.channels[0]).toMatchObject({ scale: 1, offset: 0 });
    expect(config.uplinks[0]).toMatchObject({
      topicPrefix: 'stations',
      qos: 1,
      keepalive: 30_000,
      maxInFlight: 4,
      batch: { maxReadings: 500, maxDelay: 2000, maxBytes: 131_072 },
    });
  });

  it('loadConfigSync gives the same result as loadConfig', async () => {
    expect(loadConfigSync(examplePath, {})).toEqual(await loadConfig(examplePath, {}));
  });

  it('lets devices share a definition through anchors and merge keys', () => {
    const text = `${MINIMAL}  - &sonde
    id: sonde2
    bus: lan
    interval: 10s
    channels:
      - { id: temp, register: { table: holding, address: 0, type: float32 } }
  - <<: *sonde
    id: sonde3
    unit: 3
`.replace('uplinks:\n  - { id: center, type: mqtt, url: "mqtt://10.0.0.1" }\n', '');
    const config = configOf(loadConfigText(text, 'merge.yaml', {}));
    expect(config.devices.map((d) => [d.id, d.unit, d.interval])).toEqual([
      ['sonde', 1, 1500],
      ['sonde2', 1, 10_000],
      ['sonde3', 3, 10_000],
    ]);
  });
});

describe('loadConfigText edge cases', () => {
  it('an empty file is one problem at 1:1', () => {
    const result = loadConfigText('# nothing yet\n', 'empty.yaml', {});
    expect(result.ok || result.problems).toEqual([
      {
        file: 'empty.yaml',
        line: 1,
        column: 1,
        path: '',
        message: 'the file is empty: expected settings such as version, station, storage',
      },
    ]);
  });

  it('a problem inside merged settings points at the anchored definition', () => {
    const text = `version: 1
station: { id: "1" }
storage: { path: x.db }
buses: [{ id: lan, type: tcp, host: h }]
devices:
  - &a
    id: one
    bus: lan
    interval: 10 sec
    channels: [{ id: c, register: { table: input, address: 0, type: int16 } }]
  - { <<: *a, id: two }
`;
    const result = loadConfigText(text, 'merge.yaml', {});
    expect(result.ok || result.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '9:15 devices[0].interval',
      '9:15 devices[1].interval',
    ]);
  });

  it('an alias without an anchor is reported where it is written', () => {
    const result = loadConfigText('version: 1\nstation: *nope\n', 'alias.yaml', {});
    expect(result.ok || result.problems).toMatchObject([{ line: 2, column: 10, path: '' }]);
  });

  it('tabs used for indentation are a YAML error at that line', () => {
    const result = loadConfigText('version: 1\nstation:\n\tid: x\n', 'tabs.yaml', {});
    expect(result.ok || result.problems).toMatchObject([{ line: 3, column: 1, path: '' }]);
  });

  it('hints at quoting an all-digit id that YAML read as a number', () => {
    const result = loadConfigText(MINIMAL.replace('id: sonde', 'id: 0042'), 'q.yaml', {});
    expect(result.ok || result.problems).toMatchObject([
      { line: 8, column: 9, path: 'devices[0].id', message: 'expected text (got 42)' },
    ]);
    expect(result.ok || result.problems[0]!.hint).toBe('YAML read this as number; put it in quotes: "0042"');
  });

  it('hints at removing quotes around a number and at YAML 1.1 booleans', () => {
    const text = MINIMAL.replace('host: 10.0.0.5', 'host: 10.0.0.5, port: "5020"').replace(
      '    interval: 1.5s\n',
      '    interval: 1.5s\n    enabled: no\n',
    );
    const result = loadConfigText(text, 'hints.yaml', {});
    expect(result.ok || result.problems.map((p) => [p.path, p.message, p.hint])).toEqual([
      [
        'buses[0].port',
        'expected a whole number from 1 to 65535 (got "5020")',
        'remove the quotes to make it a number',
      ],
      [
        'devices[0].enabled',
        'expected true or false (got "no")',
        'write true or false (YAML 1.2 reads yes/no/on/off as text)',
      ],
    ]);
  });

  it('a duration above its bound names both bounds in units', () => {
    const text = MINIMAL.replace(
      'url: "mqtt://10.0.0.1" }',
      'url: "mqtt://10.0.0.1", batch: { maxDelay: 2h } }',
    );
    const result = loadConfigText(text, 'd.yaml', {});
    expect(result.ok || result.problems).toMatchObject([
      { path: 'uplinks[0].batch.maxDelay', message: 'expected a duration between 0s and 1h (got "2h")' },
    ]);
  });

  it('a quoted version number is text, not 1', () => {
    const result = loadConfigText(MINIMAL.replace('version: 1', 'version: "1"'), 'v.yaml', {});
    expect(result.ok || result.problems).toMatchObject([
      {
        line: 2,
        column: 10,
        path: 'version',
        message: 'expected version: 1 (got "1")',
        hint: 'remove the quotes: write 1',
      },
    ]);
  });

  it('an unknown setting with no near match lists the settings allowed there', () => {
    const result = loadConfigText(
      MINIMAL.replace('storage: { path', 'storage: { color: red, path'),
      's.yaml',
      {},
    );
    expect(result.ok || result.problems).toMatchObject([
      {
        line: 4,
        column: 12,
        path: 'storage.color',
        message: 'unknown setting "color"',
        hint: 'settings allowed here: path, synchronous, commitWindow, maxSize, minFreeDisk, retention, checkInterval',
      },
    ]);
  });

  it('a device on an undefined bus is reported even when no buses section exists', () => {
    const text = MINIMAL.replace('buses:\n  - { id: lan, type: tcp, host: 10.0.0.5 }\n', '').replace(
      'address: 0, type: float32',
      'address: 0.5, type: float32',
    );
    const result = loadConfigText(text, 'nobus.yaml', {});
    expect(result.ok || result.problems.map((p) => [p.line, p.path, p.message])).toEqual([
      [7, 'devices[0].bus', 'unknown bus "lan" (buses: none defined)'],
      [10, 'devices[0].channels[0].register.address', 'expected a whole number from 0 to 65535 (got 0.5)'],
    ]);
  });

  it('an invalid status state value is reported at the key', () => {
    const text = MINIMAL.replace(
      '    channels:\n',
      '    status:\n      register: { table: input, address: 9, type: uint16 }\n      flags: { 0: N, busy: M }\n    channels:\n',
    );
    const result = loadConfigText(text, 'flags.yaml', {});
    expect(result.ok || result.problems).toMatchObject([
      {
        line: 13,
        column: 22,
        path: 'devices[0].status.flags.busy',
        message: 'invalid key "busy": expected a state value (a whole number)',
      },
    ]);
  });
});
