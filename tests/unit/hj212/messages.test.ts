import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../../drivers/hj212/codec.js';
import { formatDataSegment } from '../../../drivers/hj212/dataSegment.js';
import {
  commandAnswer,
  dataAnswer,
  dataUpload,
  executionResult,
  heartbeat,
  keyRequest,
  notificationAnswer,
  readAnswer,
  requestAnswer,
  type StationIdentity,
  timeCalibrationRequest,
} from '../../../drivers/hj212/messages.js';
import { MN } from './vectors.js';

const S2017: StationIdentity = { version: '2017', st: '32', pw: '123456', mn: MN };
const S2025: StationIdentity = { ...S2017, version: '2025' };
const head = (qn: string, st: string, cn: string, flag: number) =>
  `QN=${qn};ST=${st};CN=${cn};PW=123456;MN=${MN};Flag=${flag};`;

describe('station messages', () => {
  const upload = {
    cn: '2061',
    qn: '20240601130000001',
    dataTime: '20240601120000',
    factors: { w01018: { Avg: '25.5', Flag: 'N' }, w21003: { Avg: 0.8, Flag: 'T' } },
    ack: true,
  };

  it('an hour upload (2017)', () => {
    expect(formatDataSegment(dataUpload(S2017, upload))).toBe(
      `${head('20240601130000001', '32', '2061', 5)}CP=&&DataTime=20240601120000;w01018-Avg=25.5,w01018-Flag=N;w21003-Avg=0.8,w21003-Flag=T&&`,
    );
  });

  it('a re-sent upload carries RF=1 under 2025 only', () => {
    expect(formatDataSegment(dataUpload(S2025, { ...upload, resend: true }))).toContain('Flag=9;RF=1;CP=');
    expect(formatDataSegment(dataUpload(S2017, { ...upload, resend: true }))).not.toContain('RF=');
  });

  it('heartbeat, time calibration request, key request', () => {
    expect(formatDataSegment(heartbeat(S2025, '20240601120000000'))).toBe(
      `${head('20240601120000000', '32', '9015', 9)}CP=&&&&`,
    );
    expect(formatDataSegment(timeCalibrationRequest(S2025, '1'))).toBe(
      `${head('1', '32', '1013', 9)}CP=&&&&`,
    );
    expect(formatDataSegment(keyRequest(S2025, '1', '20240301000000'))).toBe(
      `${head('1', '32', '1014', 9)}CP=&&SKCreateTime=20240301000000&&`,
    );
  });
});

describe('answers', () => {
  const request = dataUpload(S2017, {
    cn: '2011',
    qn: '20240601120000001',
    dataTime: '20240601120000',
    factors: {},
    ack: true,
  });

  it('reuse the request’s QN, with ST 91 and no answer wanted', () => {
    expect(formatDataSegment(requestAnswer(request, '2017', 1))).toBe(
      `${head('20240601120000001', '91', '9011', 4)}CP=&&QnRtn=1&&`,
    );
    expect(formatDataSegment(executionResult(request, '2025', 100))).toBe(
      `${head('20240601120000001', '91', '9012', 8)}CP=&&ExeRtn=100&&`,
    );
    expect(formatDataSegment(notificationAnswer(request, '2017'))).toBe(
      `${head('20240601120000001', '91', '9013', 4)}CP=&&&&`,
    );
    expect(formatDataSegment(dataAnswer(request, '2017'))).toBe(
      `${head('20240601120000001', '91', '9014', 4)}CP=&&&&`,
    );
  });

  it('a get command is answered with its own CN and QN', () => {
    const get = { ...request, cn: '1011', qn: '20240601120000777', st: '32' };
    expect(formatDataSegment(commandAnswer(get, S2017, { SystemTime: '20240601120001' }))).toBe(
      `${head('20240601120000777', '32', '1011', 4)}CP=&&SystemTime=20240601120001&&`,
    );
  });

  it('readAnswer reads the codes back', () => {
    expect(readAnswer(requestAnswer(request, '2017', 3))).toEqual({ cn: '9011', qn: request.qn, qnRtn: 3 });
    expect(readAnswer(executionResult(request, '2017', 1))).toEqual({
      cn: '9012',
      qn: request.qn,
      exeRtn: 1,
    });
    expect(readAnswer(dataAnswer(request, '2017'))).toEqual({ cn: '9014', qn: request.qn });
    expect(readAnswer(request)).toBeUndefined();
  });

  it('answers are never encrypted', () => {
    const a = dataAnswer(request, '2025');
    expect(encodeFrame(a, { sm4: { key: Buffer.alloc(16), encoding: 'raw' } }).equals(encodeFrame(a))).toBe(
      true,
    );
  });
});
