import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../drivers/hj212/codec.js';
import {
  buildCommand,
  checkAddressing,
  type PlatformCommand,
  readCommand,
} from '../../../drivers/hj212/commands.js';
import { cpFrom } from '../../../drivers/hj212/cp.js';
import type { StationIdentity } from '../../../drivers/hj212/messages.js';
import { MN, STANDARD_2017, STANDARD_2025 } from './vectors.js';

const ID: StationIdentity = { version: '2025', st: '32', pw: '123456', mn: MN };

const COMMANDS: PlatformCommand[] = [
  { kind: 'history', cn: '2051', beginTime: '20240601000000', endTime: '20240601235959' },
  { kind: 'history', cn: '2061', beginTime: '20240601000000', endTime: '20240601000000' },
  { kind: 'history', cn: '2031', beginTime: '20240501000000', endTime: '20240601000000' },
  { kind: 'history', cn: '2011', beginTime: '20240601000000', endTime: '20240601010000' },
  { kind: 'start-realtime' },
  { kind: 'stop-realtime' },
  { kind: 'get-time' },
  { kind: 'get-time', polId: 'w01018' },
  { kind: 'set-time', systemTime: '20240601120000' },
  { kind: 'get-rtd-interval' },
  { kind: 'set-rtd-interval', seconds: 30 },
  { kind: 'get-min-interval' },
  { kind: 'set-min-interval', minutes: 10 },
  { kind: 'set-timeouts', overTimeS: 10, reCount: 3 },
  { kind: 'set-password', newPw: '654321' },
  { kind: 'key-exchange', skCreateTime: '20240601120000', newSk: 'ABCDEFGH12345678' },
];

describe('platform commands', () => {
  it.each(COMMANDS.map((c) => [c.kind, c] as const))(
    '%s: build → frame → read gives it back',
    (_kind, cmd) => {
      const frame = encodeFrame(buildCommand(ID, '20240601120000001', cmd));
      const decoded = decodeFrame(frame);
      if (!decoded.ok) throw new Error(decoded.detail);
      expect(decoded.segment.flag).toBe(9); // 2025, answer wanted
      expect(readCommand(decoded.segment)).toEqual({ kind: 'command', command: cmd });
    },
  );

  it('reads the standards’ own vectors', () => {
    const v2017 = decodeFrame(Buffer.from(STANDARD_2017));
    const v2025 = decodeFrame(Buffer.from(STANDARD_2025));
    expect(v2017.ok && readCommand(v2017.segment)).toEqual({
      kind: 'command',
      command: { kind: 'set-rtd-interval', seconds: 30 },
    });
    expect(v2025.ok && readCommand(v2025.segment)).toEqual({
      kind: 'command',
      command: { kind: 'get-time' },
    });
  });

  const seg = (cn: string, fields: Record<string, string> = {}) => ({
    ...buildCommand(ID, '1', { kind: 'get-time' }),
    cn,
    cp: cpFrom({ fields }),
  });

  it.each([
    ['history without EndTime', seg('2061', { BeginTime: '20240601000000' })],
    ['history with Begin after End', seg('2061', { BeginTime: '20240602000000', EndTime: '20240601000000' })],
    ['2051 without times', seg('2051')],
    ['set time, bad format', seg('1012', { SystemTime: '2024-06-01' })],
    ['real-time interval below 30 s', seg('1062', { RtdInterval: '29' })],
    ['real-time interval above 3600 s', seg('1062', { RtdInterval: '3601' })],
    ['minute interval 7', seg('1064', { MinInterval: '7' })],
    ['timeouts without ReCount', seg('1000', { OverTime: '10' })],
    ['password of 5 characters', seg('1072', { NewPW: '12345' })],
    ['key of 15 characters', seg('1014', { SKCreateTime: '20240601120000', NewSK: 'ABCDEFGH1234567' })],
  ])('%s: ExeRtn 3', (_name, s) => {
    expect(readCommand(s)).toMatchObject({ kind: 'invalid', exeRtn: 3 });
  });

  it('an unknown CN: QnRtn 8', () => {
    expect(readCommand(seg('1099'))).toEqual({
      kind: 'unknown',
      qnRtn: 8,
      detail: 'CN 1099 is not implemented',
    });
  });

  it('reads CP keys regardless of case', () => {
    expect(readCommand(seg('1012', { systemtime: '20240601120000' }))).toMatchObject({ kind: 'command' });
  });
});

describe('checkAddressing', () => {
  const s = buildCommand(ID, '1', { kind: 'get-time' });
  it('wrong MN is 4, wrong password is 3, MN first', () => {
    expect(checkAddressing(s, { mn: MN, pw: '123456' })).toBeUndefined();
    expect(checkAddressing(s, { mn: MN, pw: '000000' })).toBe(3);
    expect(checkAddressing(s, { mn: 'other', pw: '000000' })).toBe(4);
    expect(checkAddressing(s, {})).toBeUndefined();
  });
});
