import { describe, expect, it } from 'vitest';
import {
  type ConfigProblem,
  formatProblems,
  type LoadResult,
  loadConfigText,
} from '../../../agent/config/load.js';
import type { StationConfig } from '../../../agent/config/schema.js';

/** Issue 16 part 2: an hj212-server bus and its logger devices, checked with file positions. */

function station(devicesYaml: string): string {
  return `version: 1
station: { id: s1 }
storage: { path: ./x.db }
buses:
  - { id: logger-in, type: hj212-server, port: 9001 }
  - { id: lan, type: tcp, host: 10.0.0.5 }
devices:
${devicesYaml}
`;
}

function ok(result: LoadResult): StationConfig {
  if (!result.ok) throw new Error(formatProblems(result.problems));
  return result.config;
}

function problems(result: LoadResult): Pick<ConfigProblem, 'line' | 'column' | 'path' | 'message'>[] {
  if (result.ok) throw new Error('expected problems');
  return result.problems.map(({ line, column, path, message }) => ({ line, column, path, message }));
}

const LOGGER = `  - id: logger1
    bus: logger-in
    interval: 30s
    logger: { mn: "010000A8900016F000169DC0", pw: "\${LOGGER_PW}", version: 2025, sm4Key: "0123456789abcdef" }
    channels:
      - { id: cod, code: w01018, unit: mg/L }
      - { id: nh3n, code: w21003, unit: mg/L }`;

describe('HJ 212 input in the configuration', () => {
  it('loads the bus with its defaults and a logger device with its secrets from the environment', () => {
    const cfg = ok(loadConfigText(station(LOGGER), 'station.yaml', { LOGGER_PW: 'ab12CD' }));
    expect(cfg.buses[0]).toEqual({
      id: 'logger-in',
      type: 'hj212-server',
      host: '0.0.0.0',
      port: 9001,
      maxConnections: 16,
      linkLostAfter: 3,
    });
    expect(cfg.devices[0]!.logger).toEqual({
      mn: '010000A8900016F000169DC0',
      pw: 'ab12CD',
      version: '2025',
      sm4Key: '0123456789abcdef',
    });
    expect(cfg.devices[0]!.interval).toBe(30_000);
  });

  it('refuses a channel without code, a register, an SM4 key under 2017 and an unquoted PW', () => {
    const text = station(`  - id: logger1
    bus: logger-in
    interval: 30s
    logger: { mn: "LOGGER1", pw: 123456, version: 2017, sm4Key: "0123456789abcdef" }
    channels:
      - { id: cod, unit: mg/L }
      - { id: ph, code: w01001, register: { table: input, address: 0, type: float32 } }`);
    const found = problems(loadConfigText(text, 'station.yaml', {}));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'devices[0].logger.pw',
          line: 11,
          message: expect.stringMatching(/quoted string/),
        }),
        expect.objectContaining({
          path: 'devices[0].channels[0].code',
          message: expect.stringMatching(/maps channels by HJ 212 factor code/),
        }),
        expect.objectContaining({
          path: 'devices[0].channels[1].register',
          message: expect.stringMatching(/give code, not register/),
        }),
      ]),
    );
    const sm4 = problems(loadConfigText(text.replace('pw: 123456', 'pw: "123456"'), 'station.yaml', {})).find(
      (p) => p.path === 'devices[0].logger.sm4Key',
    );
    expect(sm4).toMatchObject({ line: 11, message: expect.stringMatching(/HJ 212-2025 only/) });
  });

  it('refuses a duplicate MN, a logger on a Modbus bus and a Modbus device on the input', () => {
    const second = LOGGER.replace('id: logger1', 'id: logger2').replace(', sm4Key: "0123456789abcdef"', '');
    const onLan = LOGGER.replace('id: logger1', 'id: logger3')
      .replace('bus: logger-in', 'bus: lan')
      .replace('A8900016F000169DC0', 'A8900016F000169DC1');
    const modbus = `  - id: meter
    bus: logger-in
    interval: 10s
    channels:
      - { id: kw, register: { table: input, address: 0, type: float32 } }`;
    const found = problems(
      loadConfigText(station([LOGGER, second, onLan, modbus].join('\n')), 'station.yaml', {
        LOGGER_PW: 'ab12CD',
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'devices[1].logger.mn',
          message: expect.stringMatching(/already the MN of another logger device/),
        }),
        expect.objectContaining({
          path: 'devices[2].bus',
          message: 'a logger device needs a bus of type hj212-server; "lan" is tcp',
        }),
        expect.objectContaining({
          path: 'devices[3].bus',
          message: expect.stringMatching(/its devices need a logger block/),
        }),
      ]),
    );
    expect(found.every((p) => p.line > 0 && p.column > 0)).toBe(true);
  });
});
