import { describe, expect, it } from 'vitest';
import { handleFrame } from '../../../agent/acquisition/hj212Input/uploadHandler.js';
import { makeFlag } from '../../../drivers/hj212/codes.js';
import { cpField } from '../../../drivers/hj212/cp.js';
import { dataUpload, heartbeat } from '../../../drivers/hj212/messages.js';
import { context, LOGGER, STATION_2017 } from './fixtures.js';

const upload = (
  over: {
    cn?: string;
    qn?: string;
    pw?: string;
    mn?: string;
    ack?: boolean;
    dataTime?: string;
    factors?: Record<string, Record<string, string>>;
  } = {},
) =>
  dataUpload(
    { ...STATION_2017, pw: over.pw ?? STATION_2017.pw, mn: over.mn ?? STATION_2017.mn },
    {
      cn: over.cn ?? '2011',
      qn: over.qn ?? '20261207120000123',
      dataTime: over.dataTime ?? '20261207120000',
      factors: over.factors ?? { w01018: { Rtd: '25.5', Flag: 'N' } },
      ack: over.ack ?? true,
    },
  );

describe('handleFrame', () => {
  it('hands a 2011 upload to onRealtime and answers 9014 echoing QN, PW and MN', async () => {
    const { ctx, realtime } = context();
    const answer = await handleFrame(upload(), ctx);
    expect(answer).toMatchObject({
      cn: '9014',
      qn: '20261207120000123',
      st: '91',
      pw: LOGGER.pw,
      mn: LOGGER.mn,
      flag: makeFlag('2017'),
    });
    expect(realtime).toHaveLength(1);
    expect(realtime[0]!.result.readings.map((r) => [r.channel, r.value, r.flag])).toEqual([
      ['cod', 25.5, 'N'],
    ]);
    expect(realtime[0]!.result).toMatchObject({ ok: true, errors: [], state: null });
    expect(ctx.counters.snapshot()).toMatchObject({ framesOk: 1, answered: 1, duplicates: 0 });
  });

  it('answers in the edition the upload speaks when none is configured', async () => {
    const { ctx } = context();
    const seg = dataUpload(
      { ...STATION_2017, version: '2025' },
      { cn: '2011', qn: '1', dataTime: '20261207120000', factors: {}, ack: true },
    );
    expect((await handleFrame(seg, ctx))?.flag).toBe(makeFlag('2025'));
  });

  it('drops values already taken, still answering 9014 so the logger stops re-sending', async () => {
    const { ctx, realtime } = context();
    await handleFrame(upload(), ctx);
    const again = await handleFrame(
      upload({ qn: '20261207120500000', factors: { w01018: { Rtd: '25.5' }, w01001: { Rtd: '7' } } }),
      ctx,
    );
    expect(again?.cn).toBe('9014');
    expect(realtime.map((r) => r.result.readings.map((x) => x.channel))).toEqual([['cod'], ['ph']]);
    expect(ctx.counters.snapshot()).toMatchObject({ framesOk: 2, duplicates: 1 });
  });

  it('routes 2051/2061/2031 to onAggregates with the period', async () => {
    const { ctx, aggregates } = context();
    await handleFrame(upload({ cn: '2061', factors: { w01018: { Avg: '3', Flag: 'N' } } }), ctx);
    expect(aggregates.map((a) => [a.period, a.records.map((r) => r.avg)])).toEqual([['hour', [3]]]);
  });

  it('counts codes no channel has, per code, once per upload: a re-send is not counted again', async () => {
    const { ctx } = context();
    const first = upload({ factors: { w21003: { Rtd: '1' }, w01018: { Rtd: '2' } } });
    await handleFrame(first, ctx);
    await handleFrame(first, ctx);
    await handleFrame(
      upload({ qn: '2', dataTime: '20261207120100', factors: { w21003: { Rtd: '1' } } }),
      ctx,
    );
    await handleFrame(
      upload({ qn: '3', dataTime: '20261207120100', factors: { w21003: { Rtd: '1' } } }),
      ctx,
    );
    expect(ctx.counters.snapshot().unknownCodes).toEqual({ w21003: 2 });
  });

  it('refuses a wrong PW with 9011 QnRtn 3 and an unknown MN with QnRtn 4, taking nothing', async () => {
    const { ctx, realtime } = context();
    const wrongPw = await handleFrame(upload({ pw: '999999' }), ctx);
    const wrongMn = await handleFrame(upload({ mn: '010000A8900016F000169DC1' }), ctx);
    expect([wrongPw?.cn, cpField(wrongPw!.cp, 'QnRtn'), wrongMn?.cn, cpField(wrongMn!.cp, 'QnRtn')]).toEqual([
      '9011',
      '3',
      '9011',
      '4',
    ]);
    expect(realtime).toEqual([]);
    expect(ctx.counters.snapshot()).toMatchObject({
      framesOk: 0,
      refused: { 'wrong-pw': 1, 'unknown-mn': 1 },
    });
  });

  it('does not answer when the Flag does not ask', async () => {
    const { ctx, realtime } = context();
    expect(await handleFrame(upload({ ack: false }), ctx)).toBeUndefined();
    expect(realtime).toHaveLength(1);
  });

  it('gives no 9014 and forgets nothing when the callback fails, so the re-send is taken', async () => {
    let fail = true;
    const { ctx } = context({
      onRealtime: () => {
        if (fail) throw new Error('store busy');
      },
    });
    expect(await handleFrame(upload(), ctx)).toBeUndefined();
    fail = false;
    expect((await handleFrame(upload(), ctx))?.cn).toBe('9014');
    expect(ctx.counters.snapshot()).toMatchObject({
      refused: { 'callback-failed': 1 },
      duplicates: 0,
      framesOk: 1,
    });
  });

  it('answers a heartbeat 9013 and gives an answer CN nothing back', async () => {
    const { ctx } = context();
    expect((await handleFrame(heartbeat({ ...STATION_2017, version: '2025' }, '5'), ctx))?.cn).toBe('9013');
    const answer = { ...upload(), cn: '9014' };
    expect(await handleFrame(answer, ctx)).toBeUndefined();
    expect(ctx.counters.snapshot().otherCns).toEqual({ '9014': 1 });
  });

  it('gives a frame without QN an answer with a QN of its own', async () => {
    const { ctx } = context();
    expect((await handleFrame(upload({ qn: '' }), ctx))?.qn).toBe('20261207000000000');
  });
});
