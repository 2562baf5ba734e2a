// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} here is the config file syntax under test, not a template

import { describe, expect, it } from 'vitest';
import { expandEnv } from '../../../agent/config/envSubstitution.js';
import { formatProblems, type LoadResult, loadConfigText } from '../../../agent/config/load.js';
import type { StationConfig } from '../../../agent/config/schema.js';

function configOf(result: LoadResult): StationConfig {
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

describe('expandEnv', () => {
  it('replaces ${NAME} with the value', () => {
    expect(expandEnv('mqtt://${HOST}:1883', { HOST: 'broker' })).toEqual({
      value: 'mqtt://broker:1883',
      changed: true,
      missing: [],
      malformed: [],
    });
  });

  it('uses the default when the variable is unset or empty, the value otherwise', () => {
    expect(expandEnv('${LEVEL:-info}', {}).value).toBe('info');
    expect(expandEnv('${LEVEL:-info}', { LEVEL: '' }).value).toBe('info');
    expect(expandEnv('${LEVEL:-info}', { LEVEL: 'debug' }).value).toBe('debug');
    expect(expandEnv('${EMPTY:-}', {}).value).toBe('');
  });

  it('keeps an empty value that is set (no default given)', () => {
    expect(expandEnv('a${X}b', { X: '' })).toMatchObject({ value: 'ab', missing: [] });
  });

  it('$${NAME} is the literal ${NAME}', () => {
    expect(expandEnv('pa$${SS}word', { SS: 'no' })).toMatchObject({ value: 'pa${SS}word', missing: [] });
  });

  it('reports missing variables and leaves the reference in place', () => {
    expect(expandEnv('${A}/${B}/${A}', { B: 'b' })).toMatchObject({
      value: '${A}/b/${A}',
      missing: ['A', 'A'],
    });
  });

  it('reports malformed references', () => {
    expect(expandEnv('${1X}', {}).malformed).toEqual(['${1X}']);
    expect(expandEnv('abc${OPEN', {}).malformed).toEqual(['${OPEN']);
  });

  it('leaves text without references alone, including a lone $', () => {
    expect(expandEnv('price $5 {x}', {})).toEqual({
      value: 'price $5 {x}',
      changed: false,
      missing: [],
      malformed: [],
    });
  });

  it('does not expand references inside values (one pass only)', () => {
    expect(expandEnv('${A}', { A: '${B}', B: 'secret' }).value).toBe('${B}');
  });
});

const BASE = `version: 1
station: { id: "\${STATION_ID:-320700W001}" }
storage: { path: "\${DATA_DIR:-./data}/agent.db" }
buses:
  - id: lan
    type: tcp
    host: \${MODBUS_HOST}
    port: \${MODBUS_PORT}
uplinks:
  - id: center
    type: mqtt
    url: mqtt://\${BROKER:-127.0.0.1}:1883
    username: station
    password: "\${MQTT_PASSWORD}"
`;

describe('loadConfigText substitutes environment variables', () => {
  const env = { MODBUS_HOST: '10.1.2.3', MODBUS_PORT: '5020', MQTT_PASSWORD: '12345' };

  it('substitutes values, defaults and reads an unquoted number as a number', () => {
    const config = configOf(loadConfigText(BASE, 'env.yaml', env));
    expect(config.station.id).toBe('320700W001');
    expect(config.storage.path).toBe('./data/agent.db');
    expect(config.buses[0]).toMatchObject({ host: '10.1.2.3', port: 5020 });
    expect(config.uplinks[0]).toMatchObject({ url: 'mqtt://127.0.0.1:1883' });
    // Quoted: stays text even though the value looks like a number.
    expect(config.uplinks[0]).toMatchObject({ password: '12345' });
  });

  it('a value cannot inject YAML structure', () => {
    const config = configOf(loadConfigText(BASE, 'env.yaml', { ...env, MQTT_PASSWORD: 'a: b\n- c # d' }));
    expect(config.uplinks[0]).toMatchObject({ password: 'a: b\n- c # d' });
  });

  it('does not touch process.env or the env passed in', () => {
    const copy = { ...env };
    loadConfigText(BASE, 'env.yaml', copy);
    expect(copy).toEqual(env);
  });

  it('reports every missing variable at its value, with the setting path', () => {
    const result = loadConfigText(BASE, 'env.yaml', {});
    expect(result.ok || result.problems.map((p) => `${p.line}:${p.column} ${p.path}: ${p.message}`)).toEqual([
      '7:11 buses[0].host: environment variable MODBUS_HOST is not set',
      '8:11 buses[0].port: environment variable MODBUS_PORT is not set',
      '14:15 uplinks[0].password: environment variable MQTT_PASSWORD is not set',
    ]);
  });

  it('reports a malformed reference', () => {
    const result = loadConfigText(
      BASE.replace('username: station', 'username: "${USER NAME}"'),
      'env.yaml',
      env,
    );
    expect(result.ok || result.problems).toMatchObject([
      { line: 13, column: 15, path: 'uplinks[0].username', message: expect.stringContaining('malformed') },
    ]);
  });

  it('leaves keys alone', () => {
    const result = loadConfigText(`${BASE}\${EXTRA}: 1\n`, 'env.yaml', { ...env, EXTRA: 'log' });
    expect(result.ok || result.problems).toMatchObject([{ line: 15, column: 1, path: '["${EXTRA}"]' }]);
  });

  it('a substituted value is still validated like any other', () => {
    const result = loadConfigText(BASE, 'env.yaml', { ...env, MODBUS_PORT: '99999', BROKER: 'bad host' });
    expect(result.ok || result.problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '8:11 buses[0].port',
      '12:10 uplinks[0].url',
    ]);
  });
});
