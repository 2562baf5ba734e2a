import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHj212InputServer,
  type Hj212InputServer,
  STALE_AFTER_MS,
} from '../../../agent/acquisition/hj212Input/hj212InputServer.js';
import type { LoggerPollResult } from '../../../agent/acquisition/hj212Input/inputTypes.js';
import { silentLogger } from '../../../agent/core/log.js';
import { encodeFrame } from '../../../drivers/hj212/codec.js';
import { dataUpload, readAnswer } from '../../../drivers/hj212/messages.js';
import { sm4KeyFromText } from '../../../drivers/hj212/sm4.js';
import { Hj212StreamDecoder } from '../../../drivers/hj212/streamDecoder.js';

const A = {
  device: 'a',
  mn: 'AAAA00000000000000000001',
  pw: '111111',
  sm4Key: '0123456789abcdef',
  channels: [{ id: 'cod', code: 'w01018' }],
};
const B = {
  device: 'b',
  mn: 'BBBB00000000000000000002',
  pw: '222222',
  sm4Key: 'fedcba9876543210',
  channels: [{ id: 'cod', code: 'w01018' }],
};

let server: Hj212InputServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

function frameOf(l: typeof A, qn: string, rtd: string): Buffer {
  const seg = dataUpload(
    { version: '2025', st: '32', pw: l.pw, mn: l.mn },
    { cn: '2011', qn, dataTime: '20261207120000', factors: { w01018: { Rtd: rtd, Flag: 'N' } }, ack: true },
  );
  return encodeFrame(seg, { sm4: { key: sm4KeyFromText(l.sm4Key) } });
}

describe('HJ 212 input server', () => {
  it('decrypts each logger with its own key on one connection and answers each upload', async () => {
    const results: LoggerPollResult[] = [];
    server = createHj212InputServer({
      host: '127.0.0.1',
      port: 0,
      loggers: [A, B],
      log: silentLogger(),
      onRealtime: (r) => {
        results.push(r);
      },
      onAggregates: () => {},
    });
    const { port } = await server.start();
    const socket = connect({ host: '127.0.0.1', port });
    const decoder = new Hj212StreamDecoder();
    const answers: string[] = [];
    const got = new Promise<void>((resolve) => {
      socket.on('data', (chunk) => {
        for (const ev of decoder.push(chunk)) {
          if (ev.kind === 'frame') answers.push(`${readAnswer(ev.segment)?.cn}:${ev.segment.qn}`);
        }
        if (answers.length === 3) resolve();
      });
    });
    socket.write(Buffer.concat([frameOf(A, '1', '1.5'), frameOf(B, '2', '2.5'), frameOf(A, '3', '9')]));
    await got;
    socket.destroy();
    expect(answers).toEqual(['9014:1', '9014:2', '9014:3']);
    // The third is A's DataTime and code again: a duplicate.
    expect(results.map((r) => [r.device, r.result.readings[0]?.value])).toEqual([
      ['a', 1.5],
      ['b', 2.5],
    ]);
    expect(server.counters()).toMatchObject({ framesOk: 3, duplicates: 1, answered: 3, connections: 1 });
  });

  it('refuses a configuration with the same MN twice or a bad key', () => {
    const base = { port: 0, log: silentLogger(), onRealtime: () => {}, onAggregates: () => {} };
    expect(() => createHj212InputServer({ ...base, loggers: [A, { ...A, device: 'c' }] })).toThrow(
      /configured twice/,
    );
    expect(() => createHj212InputServer({ ...base, loggers: [{ ...A, sm4Key: 'short' }] })).toThrow(
      /SM4 key/,
    );
  });

  describe("a logger's earlier connection, left open by a power cut or a lost link", () => {
    /** A connection of the logger that sends `frame` and resolves with the answer's CN. */
    async function send(socket: Socket, frame: Buffer): Promise<string | undefined> {
      const decoder = new Hj212StreamDecoder();
      return new Promise((resolve) => {
        const onData = (chunk: Buffer) => {
          for (const ev of decoder.push(chunk)) {
            if (ev.kind !== 'frame') continue;
            socket.off('data', onData);
            resolve(readAnswer(ev.segment)?.cn ?? ev.segment.cn);
          }
        };
        socket.on('data', onData);
        socket.write(frame);
      });
    }
    const open = (port: number) =>
      new Promise<Socket>((resolve) => {
        const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
      });
    const closed = (s: Socket) => new Promise<boolean>((resolve) => s.once('close', () => resolve(true)));

    async function start(clock: { t: number }) {
      server = createHj212InputServer({
        host: '127.0.0.1',
        port: 0,
        loggers: [A, B],
        log: silentLogger(),
        onRealtime: () => {},
        onAggregates: () => {},
        now: () => clock.t,
      });
      return (await server.start()).port;
    }

    it('is closed when the logger connects again and the old one has been silent', async () => {
      const clock = { t: 1_000_000 };
      const port = await start(clock);
      const before = await open(port);
      expect(await send(before, frameOf(A, '1', '1'))).toBe('9014');
      const beforeClosed = closed(before);

      clock.t += STALE_AFTER_MS;
      const after = await open(port);
      expect(await send(after, frameOf(A, '2', '2'))).toBe('9014');
      const gaveUp = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000).unref());
      expect(await Promise.race([beforeClosed, gaveUp])).toBe(true);
      expect(server!.counters().staleClosed).toBe(1);
      expect(after.destroyed).toBe(false);
      after.destroy();
    });

    it('is kept while it is still busy, or when the new one is not that logger (other MN, wrong PW)', async () => {
      const clock = { t: 1_000_000 };
      const port = await start(clock);
      const first = await open(port);
      expect(await send(first, frameOf(A, '1', '1'))).toBe('9014');
      let firstClosed = false;
      first.once('close', () => {
        firstClosed = true;
      });

      // Silent long enough, but the new connections are another logger, and A with a wrong password.
      clock.t += STALE_AFTER_MS * 2;
      const other = await open(port);
      expect(await send(other, frameOf(B, '2', '2'))).toBe('9014');
      const impostor = await open(port);
      expect(await send(impostor, frameOf({ ...A, pw: '999999' }, '3', '3'))).toBe('9011');

      // A itself again, but its first connection has just sent: two busy connections stay open.
      expect(await send(first, frameOf(A, '4', '4'))).toBe('9014');
      const second = await open(port);
      expect(await send(second, frameOf(A, '5', '5'))).toBe('9014');

      await server!.drained();
      expect(firstClosed).toBe(false);
      expect(server!.counters().staleClosed).toBe(0);
      for (const s of [first, other, impostor, second]) s.destroy();
    });
  });
});
