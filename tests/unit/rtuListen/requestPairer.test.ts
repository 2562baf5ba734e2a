import { describe, expect, it } from 'vitest';
import { type PairerEvent, RequestPairer } from '../../../drivers/modbus/listen/requestPairer.js';
import {
  bitAnswer,
  exceptionAnswer,
  readRequest,
  registerAnswer,
  writeRegisters,
  writeRegistersAnswer,
  writeSingleRegister,
} from '../../helpers/rtuTraffic.js';

function feed(p: RequestPairer, frames: [Buffer, number][]): PairerEvent[] {
  return frames.flatMap(([bytes, at]) => p.frame({ bytes, startAt: at, at, noiseBefore: 0 }));
}
const reads = (events: PairerEvent[]) => events.flatMap((e) => (e.kind === 'read' ? [e.read] : []));
const discards = (events: PairerEvent[]) => events.flatMap((e) => (e.kind === 'discarded' ? [e.reason] : []));

describe('RequestPairer', () => {
  it('pairs a register answer with its request: address from the request, stamp from the answer', () => {
    const p = new RequestPairer();
    const events = feed(p, [
      [readRequest(7, 3, 100, 3), 1000],
      [registerAnswer(7, 3, [10, 20, 30]), 1040],
    ]);
    expect(reads(events)).toEqual([
      { unit: 7, table: 'holding', startAddress: 100, words: [10, 20, 30], requestAt: 1000, answerAt: 1040 },
    ]);
  });

  it('decodes bits for coils and discrete inputs, only as many as requested', () => {
    const p = new RequestPairer();
    const bits = [true, false, true, true, false, false, false, false, true, true];
    const events = feed(p, [
      [readRequest(2, 2, 5, 10), 0],
      [bitAnswer(2, 2, bits), 10],
    ]);
    expect(reads(events)[0]).toMatchObject({ table: 'discrete', startAddress: 5, bits });
  });

  it('takes an 8-byte FC01 frame as the answer when a read of 17..24 coils waits for it', () => {
    const p = new RequestPairer();
    const bits = Array.from({ length: 20 }, (_, i) => i % 3 === 0);
    const answer = bitAnswer(1, 1, bits);
    expect(answer.length).toBe(8);
    const events = feed(p, [
      [readRequest(1, 1, 0, 20), 0],
      [answer, 10],
    ]);
    expect(reads(events)[0]!.bits).toEqual(bits);
  });

  it('refuses an answer whose byte count the request does not give', () => {
    const p = new RequestPairer();
    const events = feed(p, [
      [readRequest(1, 3, 0, 4), 0],
      [registerAnswer(1, 3, [1, 2]), 10],
    ]);
    expect(reads(events)).toEqual([]);
    expect(discards(events)).toEqual(['byteCount']);
  });

  it('refuses an answer from another unit or for another function', () => {
    const p = new RequestPairer();
    const events = feed(p, [
      [readRequest(1, 3, 0, 2), 0],
      [registerAnswer(2, 3, [1, 2]), 10],
      [registerAnswer(1, 4, [1, 2]), 20],
    ]);
    expect(reads(events)).toEqual([]);
    expect(discards(events)).toEqual(['unrequested', 'unrequested']);
  });

  it('refuses an answer after the timeout as late, and reports the request unanswered', () => {
    const p = new RequestPairer({ answerTimeoutMs: 500 });
    const events = feed(p, [
      [readRequest(1, 3, 0, 2), 0],
      [registerAnswer(1, 3, [1, 2]), 600],
    ]);
    expect(reads(events)).toEqual([]);
    expect(events.map((e) => e.kind)).toEqual(['request', 'noAnswer', 'discarded']);
    expect(discards(events)).toEqual(['late']);
  });

  it('refuses a second answer to one request', () => {
    const p = new RequestPairer();
    const events = feed(p, [
      [readRequest(1, 3, 0, 2), 0],
      [registerAnswer(1, 3, [1, 2]), 10],
      [registerAnswer(1, 3, [1, 2]), 20],
    ]);
    expect(reads(events)).toHaveLength(1);
    expect(discards(events)).toEqual(['unrequested']);
  });

  it('discards the answer after two requests that an answer of one size could both fit (colliding masters)', () => {
    const p = new RequestPairer();
    const events = feed(p, [
      [readRequest(1, 3, 0, 2), 0],
      [readRequest(1, 3, 10, 2), 5],
      // Could be the answer to either: it must not be placed at 10.
      [registerAnswer(1, 3, [111, 222]), 30],
    ]);
    expect(reads(events)).toEqual([]);
    expect(discards(events)).toEqual(['contended']);
    // The next clean exchange is taken again.
    const later = feed(p, [
      [readRequest(1, 3, 10, 2), 1000],
      [registerAnswer(1, 3, [5, 6]), 1020],
    ]);
    expect(reads(later)[0]).toMatchObject({ startAddress: 10, words: [5, 6] });
  });

  it('pairs after a retry of the same request (same registers: either answer is right)', () => {
    const p = new RequestPairer();
    const events = feed(p, [
      [readRequest(1, 3, 0, 2), 0],
      [readRequest(1, 3, 0, 2), 300],
      [registerAnswer(1, 3, [1, 2]), 320],
    ]);
    expect(reads(events)[0]).toMatchObject({ startAddress: 0, words: [1, 2], requestAt: 300 });
  });

  it('reports exceptions with the request they answer', () => {
    const p = new RequestPairer();
    const events = feed(p, [
      [readRequest(4, 4, 30, 2), 0],
      [exceptionAnswer(4, 4, 2), 15],
    ]);
    expect(events[1]).toEqual({
      kind: 'exception',
      unit: 4,
      fn: 4,
      code: 2,
      address: 30,
      quantity: 2,
      requestAt: 0,
      answerAt: 15,
    });
  });

  it('skips writes: an FC06 echo and an FC16 answer close their exchange and yield no read', () => {
    const p = new RequestPairer();
    const w6 = writeSingleRegister(1, 3, 42);
    const events = feed(p, [
      [w6, 0],
      [w6, 10],
      [writeRegisters(1, 20, [1, 2]), 100],
      [writeRegistersAnswer(1, 20, 2), 110],
      [registerAnswer(1, 3, [1, 2]), 120],
    ]);
    expect(events.map((e) => e.kind)).toEqual([
      'request',
      'writeAnswer',
      'request',
      'writeAnswer',
      'discarded',
    ]);
    expect(reads(events)).toEqual([]);
  });

  it('does not pair across garbage that could have been a request it could not read', () => {
    const p = new RequestPairer();
    const at = (bytes: Buffer, t: number, noiseBefore: number) =>
      p.frame({ bytes, startAt: t, at: t, noiseBefore });
    at(readRequest(1, 3, 0, 2), 0, 0);
    // A corrupted request for other registers went by (8 bytes of garbage), then its answer.
    const events = at(registerAnswer(1, 3, [9, 9]), 300, 8);
    expect(events.map((e) => e.kind)).toEqual(['noAnswer', 'discarded']);
    // A transceiver's glitch byte or two before an answer is tolerated.
    at(readRequest(1, 3, 0, 2), 1000, 0);
    expect(reads(at(registerAnswer(1, 3, [1, 2]), 1020, 2))).toHaveLength(1);
  });

  it('tick() gives up an unanswered request', () => {
    const p = new RequestPairer({ answerTimeoutMs: 200 });
    feed(p, [[readRequest(1, 3, 0, 2), 0]]);
    expect(p.tick(100)).toEqual([]);
    expect(p.tick(300)).toEqual([
      { kind: 'noAnswer', unit: 1, fn: 3, address: 0, quantity: 2, requestAt: 0 },
    ]);
  });
});
