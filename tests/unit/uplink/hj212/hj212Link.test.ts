import type { Socket } from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { Hj212Link, LinkClosedError } from '../../../../agent/uplink/hj212/hj212Link.js';
import { dataUpload, requestAnswer, type StationIdentity } from '../../../../drivers/hj212/messages.js';
import { createQnGenerator } from '../../../../drivers/hj212/qn.js';
import type { Rejection } from '../../../../drivers/hj212/rejection.js';
import { FakeClock, flush } from '../../../helpers/fakeClock.js';
import { FakePlatform, FakeSocket } from './fakePlatform.js';

const ID: StationIdentity = { version: '2025', st: '21', pw: '123456', mn: '010000A8900016F000169DC0' };

describe('Hj212Link: exchanges by QN', () => {
  let clock: FakeClock;
  let socket: FakeSocket;
  let platform: FakePlatform;
  let link: Hj212Link;
  let frames: string[];
  let rejections: Rejection[];
  let closed: string[];
  const qn = () => createQnGenerator({ clock });

  beforeEach(() => {
    clock = new FakeClock();
    socket = new FakeSocket();
    platform = new FakePlatform(socket);
    frames = [];
    rejections = [];
    closed = [];
    link = new Hj212Link(socket as unknown as Socket, {}, qn(), clock, {
      onFrame: (s) => frames.push(s.cn),
      onRejection: (r) => rejections.push(r),
      onClose: (reason) => closed.push(reason),
    });
  });

  const upload = (q: string, ack = true) =>
    dataUpload(ID, { cn: '2011', qn: q, dataTime: '20240101080000', factors: { w01018: { Rtd: 1 } }, ack });

  it('resolves on the 9014 with the same QN', async () => {
    let done = false;
    const sent = link.send(upload('20240101080000001'), { timeoutMs: 1000, retries: 3 }).then(() => {
      done = true;
    });
    expect(platform.frames).toHaveLength(1);
    await clock.advance(500);
    expect(done).toBe(false);
    platform.ackOf(platform.frames[0]!);
    await sent;
    expect(done).toBe(true);
    // The answer was consumed by the exchange, not handed on as a platform request.
    expect(frames).toEqual([]);
  });

  it('re-sends the same bytes after each timeout, then fails after the retries', async () => {
    const result = link.send(upload('20240101080000002'), { timeoutMs: 1000, retries: 2 }).then(
      () => 'ok',
      (err: Error) => err.message,
    );
    await clock.advance(999);
    expect(socket.written).toHaveLength(1);
    await clock.advance(1);
    expect(socket.written).toHaveLength(2);
    expect(socket.written[1]).toEqual(socket.written[0]);
    await clock.advance(1000);
    expect(socket.written).toHaveLength(3);
    await clock.advance(1000);
    expect(await result).toMatch(/no answer to CN 2011 QN=20240101080000002 after 3 attempt/);
    // Failing an exchange is the uplink's decision to act on; the link itself stays open.
    expect(link.open).toBe(true);
  });

  it('an answer to a re-sent message still counts', async () => {
    const sent = link.send(upload('20240101080000003'), { timeoutMs: 1000, retries: 3 });
    await clock.advance(2500);
    platform.ackOf(platform.frames[0]!);
    await expect(sent).resolves.toBeUndefined();
    expect(socket.written).toHaveLength(3);
  });

  it('a refusing 9011 fails the exchange at once: re-sending a wrong password cannot help', async () => {
    const seg = upload('20240101080000004');
    const sent = link.send(seg, { timeoutMs: 1000, retries: 3 });
    platform.send(requestAnswer(seg, '2025', 3));
    await expect(sent).rejects.toThrow(/QnRtn 3/);
  });

  it('without an answer asked, resolves once written', async () => {
    await expect(link.send(upload('20240101080000005', false), null)).resolves.toBeUndefined();
    expect(socket.written).toHaveLength(1);
  });

  it('splits a long message and waits for the 9014 of every part', async () => {
    const factors: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 40; i++) factors[`w${String(10000 + i)}`] = { Rtd: '12345.678', Flag: 'N' };
    const seg = dataUpload(ID, {
      cn: '2011',
      qn: '20240101080000006',
      dataTime: '20240101080000',
      factors,
      ack: true,
    });
    let done = false;
    const sent = link.send(seg, { timeoutMs: 1000, retries: 0 }).then(() => {
      done = true;
    });
    expect(platform.frames.length).toBeGreaterThan(1);
    const qns = new Set(platform.frames.map((f) => f.qn));
    expect(qns.size).toBe(platform.frames.length);
    for (const part of platform.frames.slice(0, -1)) platform.ackOf(part);
    await flush();
    expect(done).toBe(false);
    platform.ackOf(platform.frames.at(-1)!);
    await sent;
    expect(done).toBe(true);
  });

  it('a closed connection fails what is pending and reports once', async () => {
    const sent = link.send(upload('20240101080000007'), { timeoutMs: 1000, retries: 3 });
    socket.destroy();
    await expect(sent).rejects.toBeInstanceOf(LinkClosedError);
    link.close();
    expect(closed).toEqual(['closed']);
    await expect(link.send(upload('20240101080000008'), null)).rejects.toBeInstanceOf(LinkClosedError);
  });

  it('hands platform requests and broken frames to the handlers', () => {
    platform.send({ ...upload('20240101080000009'), cn: '1011' });
    platform.sendRaw(Buffer.from('##0010QN=1;CN=1;1234\r\n'));
    expect(frames).toEqual(['1011']);
    expect(rejections.map((r) => r.reason)).toEqual(['bad-crc']);
  });
});
