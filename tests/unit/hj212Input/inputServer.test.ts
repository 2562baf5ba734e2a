import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHj212InputServer,
  type Hj212InputServer,
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
});
