import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ConfigProblem, formatProblems, loadConfig } from '../../../agent/config/load.js';

/**
 * One broken file per mistake a maintainer makes on site. Each test pins the line, the column and
 * the setting path, because "somewhere in devices" is not good enough in a 300-line file.
 */

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/config/${name}`, import.meta.url));

/** Loads a fixture with an empty environment and returns its problems (failing if it loaded). */
async function problemsOf(name: string): Promise<ConfigProblem[]> {
  const result = await loadConfig(fixture(name), {});
  if (result.ok) throw new Error(`${name} unexpectedly loaded`);
  expect(result.code).toBe('CONFIG_INVALID');
  for (const p of result.problems) expect(p.file).toBe(fixture(name));
  return result.problems;
}

/** The one problem of a fixture that should have exactly one. */
async function onlyProblem(name: string): Promise<ConfigProblem> {
  const problems = await problemsOf(name);
  expect(problems, formatProblems(problems)).toHaveLength(1);
  return problems[0]!;
}

describe('loadConfig reports broken configurations precisely', () => {
  it('YAML syntax error: points at the { that is never closed, not where the parser gave up', async () => {
    const p = await onlyProblem('syntax-error.yaml');
    expect(p).toMatchObject({ line: 4, column: 10, path: '' });
    expect(p.message).toBe('YAML syntax error: this { is not closed');
    expect(p.hint).toContain('line 5');
  });

  it("ASCII analyzer on a Modbus TCP bus: at the device's bus setting, naming the bus types it needs", async () => {
    const p = await onlyProblem('ascii-on-tcp.yaml');
    expect(p).toMatchObject({ line: 9, column: 10, path: 'devices[0].bus' });
    expect(p.message).toContain('serial or rtu-over-tcp');
  });

  it('unknown key: at the key itself, with a did-you-mean hint', async () => {
    const problems = await problemsOf('unknown-key.yaml');
    expect(problems).toHaveLength(2);
    const [missing, unknown] = problems;
    // Sorted by line: the device that now lacks "interval" (its mapping starts at line 8) comes first.
    expect(missing).toMatchObject({ line: 8, column: 5, path: 'devices[0].interval' });
    expect(missing!.message).toMatch(/^missing required setting "interval"/);
    expect(unknown).toMatchObject({
      line: 10,
      column: 5,
      path: 'devices[0].intervall',
      message: 'unknown setting "intervall"',
      hint: 'did you mean "interval"?',
    });
  });

  it('wrong register type: lists the allowed types and suggests the near misses', async () => {
    const p = await onlyProblem('bad-register-type.yaml');
    expect(p).toMatchObject({ line: 13, column: 64, path: 'devices[0].channels[1].register.type' });
    expect(p.message).toBe(
      'expected one of bool, int16, uint16, int32, uint32, float32, int64, uint64, float64 (got "float")',
    );
    expect(p.hint).toBe('did you mean "float32" or "float64"?');
  });

  it('wrong word order: lists the orders and offers both near misses', async () => {
    const p = await onlyProblem('bad-word-order.yaml');
    expect(p).toMatchObject({ line: 17, column: 18, path: 'devices[0].channels[0].register.order' });
    expect(p.message).toBe('expected one of ABCD, BADC, CDAB, DCBA (got "DCAB")');
    expect(p.hint).toBe('did you mean "CDAB" or "DCBA"?');
  });

  it('type bool on an input register: the cross-field rule, at the type', async () => {
    const p = await onlyProblem('bool-on-input.yaml');
    expect(p).toMatchObject({ line: 13, column: 53, path: 'devices[0].channels[0].register.type' });
    expect(p.message).toMatch(/^type bool needs table coil or discrete/);
  });

  it('missing station.id: at the station mapping', async () => {
    const p = await onlyProblem('missing-station-id.yaml');
    expect(p).toMatchObject({ line: 4, column: 3, path: 'station.id' });
    expect(p.message).toMatch(/^missing required setting "id"/);
  });

  it('"10 sec" is not a duration', async () => {
    const p = await onlyProblem('bad-duration.yaml');
    expect(p).toMatchObject({ line: 10, column: 15, path: 'devices[0].interval' });
    expect(p.message).toBe('expected a duration such as "500ms", "10s" or "5m" (got "10 sec")');
  });

  it('duration out of range: names the bounds and what was written', async () => {
    const p = await onlyProblem('duration-out-of-range.yaml');
    expect(p).toMatchObject({ line: 10, column: 15, path: 'devices[0].interval' });
    expect(p.message).toBe('expected a duration between 100ms and 24h (got "50ms")');
  });

  it('device on an unknown bus: names the buses that exist', async () => {
    const p = await onlyProblem('unknown-bus.yaml');
    expect(p).toMatchObject({ line: 9, column: 10, path: 'devices[0].bus' });
    expect(p.message).toBe('unknown bus "rs485" (buses: lan)');
  });

  it('duplicate device id: at the second one, naming the first', async () => {
    const p = await onlyProblem('duplicate-device.yaml');
    expect(p).toMatchObject({
      line: 13,
      column: 9,
      path: 'devices[1].id',
      message: `duplicate device id "sonde" (first defined at ${fixture('duplicate-device.yaml')}:8:9)`,
    });
  });

  it('duplicate key in one mapping is a YAML error at the repeated key', async () => {
    const p = await onlyProblem('duplicate-key.yaml');
    expect(p).toMatchObject({ line: 11, column: 5, path: '' });
    expect(p.message).toMatch(/^YAML syntax error: /);
  });

  it('missing environment variable: at the value, and reported only once', async () => {
    const p = await onlyProblem('missing-env.yaml');
    expect(p).toMatchObject({
      line: 10,
      column: 15,
      path: 'uplinks[0].password',
      message: 'environment variable MQTT_PASSWORD is not set',
    });
    expect(p.hint).toContain('${MQTT_PASSWORD:-');
  });

  it('bad MQTT URL', async () => {
    const p = await onlyProblem('bad-url.yaml');
    expect(p).toMatchObject({ line: 6, column: 36, path: 'uplinks[0].url' });
    expect(p.message).toBe('expected an mqtt:// or mqtts:// URL (got "http://broker.example.com:1883")');
  });

  it('Modbus unit out of range: states the range from the schema', async () => {
    const p = await onlyProblem('unit-out-of-range.yaml');
    expect(p).toMatchObject({ line: 10, column: 11, path: 'devices[0].unit' });
    expect(p.message).toBe('expected a whole number from 0 to 255 (got 300)');
  });

  it('version 2 is refused', async () => {
    const p = await onlyProblem('version-2.yaml');
    expect(p).toMatchObject({ line: 2, column: 10, path: 'version', message: 'expected version: 1 (got 2)' });
  });

  it('unknown bus type: the discriminated union lists the known types', async () => {
    const p = await onlyProblem('bad-bus-type.yaml');
    expect(p).toMatchObject({
      line: 7,
      column: 11,
      path: 'buses[0].type',
      message: 'expected type one of tcp, serial, rtu-over-tcp, hj212-server, serial-listen (got "rtu")',
    });
  });

  it('several problems in one file are all reported at once, sorted by line', async () => {
    const problems = await problemsOf('many-problems.yaml');
    expect(problems.map((p) => `${p.line}:${p.column} ${p.path}`)).toEqual([
      '3:40 station.timezone',
      '4:47 storage.synchronous',
      '6:50 buses[0].port',
      '10:15 devices[0].interval',
      '12:26 devices[0].channels[0].code',
      '12:69 devices[0].channels[0].register.address',
      '13:15 devices[0].channels[1].id',
      '13:39 devices[0].channels[1].register.table',
      '15:10 devices[1].bus',
      '17:15 devices[1].channels',
      '19:66 uplinks[0].qos',
    ]);
    // Cross-references (unknown bus, duplicate ids) are checked even though other settings failed,
    // including a non-whole address, after which zod itself skips the schema's cross-checks.
    expect(problems.find((p) => p.path === 'devices[1].bus')?.message).toBe(
      'unknown bus "serial" (buses: lan)',
    );
    expect(problems.find((p) => p.path === 'uplinks[0].qos')?.message).toBe('expected one of 1, 2 (got 0)');
    const interval = problems.find((p) => p.path === 'devices[0].interval');
    expect(interval?.hint).toBe('durations need a unit (ms, s, m, h, d): write "10s"');
    expect(formatProblems(problems).split('\n').at(-1)).toBe('11 problems; the agent did not start.');
  });

  it('an unreadable file is one problem at 1:1 with the OS reason', async () => {
    const missing = fixture('does-not-exist.yaml');
    const result = await loadConfig(missing, {});
    expect(result).toEqual({
      ok: false,
      code: 'CONFIG_UNREADABLE',
      problems: [
        {
          file: missing,
          line: 1,
          column: 1,
          path: '',
          message: 'cannot read the file: ENOENT: no such file or directory',
        },
      ],
    });
  });
});
