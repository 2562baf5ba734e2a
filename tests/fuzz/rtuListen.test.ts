import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ListenPollSource } from '../../drivers/modbus/listen/listenPollSource.js';
import { PassiveRtuFramer } from '../../drivers/modbus/listen/passiveFramer.js';
import { type PairerEvent, RequestPairer } from '../../drivers/modbus/listen/requestPairer.js';
import { TABLE_OF_FUNCTION } from '../../drivers/modbus/listen/rtuMessages.js';
import {
  bitAnswer,
  exceptionAnswer,
  readRequest,
  registerAnswer,
  writeSingleRegister,
} from '../helpers/rtuTraffic.js';
import { chunked, cutsArb, fuzzParams, fuzzTestTimeout } from './fuzzSettings.js';

/**
 * The passive listener on a hostile line, model-based: a model holds every unit's registers, the
 * traffic is built from it (polls answered with the model's values), and between and inside the
 * polls go random bytes, truncated and corrupted answers, unanswered and late polls, two masters
 * asking for the same unit at once, frames overlapping on the wire, writes; everything split into
 * random chunks and delivered with or without silences. Whatever the listener reports must be the
 * model's value at the address it names: never a value from a frame it could not pair for sure.
 */

const UNITS = [1, 2, 3];
const SIZE = 40;
const TIMEOUT_MS = 500;
const BAUD = 9600;

type Model = Record<number, Record<number, number[]>>;

/** The model's registers (fn 3/4: words) and bits (fn 1/2: 0/1), from a seed. */
function modelOf(seed: number): Model {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const m: Model = {};
  for (const u of UNITS) {
    m[u] = {};
    for (const fn of [1, 2, 3, 4])
      m[u]![fn] = Array.from({ length: SIZE }, () => (fn <= 2 ? next() & 1 : next() & 0xffff));
  }
  return m;
}

const pollArb = fc
  .record({
    unit: fc.constantFrom(...UNITS),
    fn: fc.constantFrom(1, 2, 3, 4),
    address: fc.nat({ max: SIZE - 1 }),
    quantity: fc.integer({ min: 1, max: 24 }),
  })
  .map((p) => ({ ...p, quantity: Math.min(p.quantity, SIZE - p.address) }));

type Step =
  | { kind: 'poll'; poll: Poll; delay: number }
  | { kind: 'garbage'; bytes: number[] }
  | { kind: 'unanswered'; poll: Poll }
  | { kind: 'truncated'; poll: Poll; keep: number }
  | { kind: 'corrupt'; poll: Poll; at: number; xor: number }
  | { kind: 'exception'; poll: Poll; code: number }
  | { kind: 'late'; poll: Poll }
  /** Two masters: A then B for the same unit and function, then the answer to A. */
  | { kind: 'collide'; a: Poll; bAddress: number }
  /** A is unanswered, B's request is hit by noise, B's answer passes. */
  | { kind: 'lostRequest'; a: Poll; b: Poll; at: number; xor: number }
  /** Two frames on the wire at once: the bytes a receiver sees are neither. */
  | { kind: 'overlap'; a: Poll; b: Poll; mode: 'and' | 'interleave' }
  | { kind: 'write'; unit: number; address: number; value: number };
type Poll = { unit: number; fn: number; address: number; quantity: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('poll' as const),
      poll: pollArb,
      delay: fc.integer({ min: 0, max: TIMEOUT_MS - 50 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('garbage' as const),
      bytes: fc.array(fc.nat({ max: 255 }), { minLength: 1, maxLength: 40 }),
    }),
  },
  fc.record({ kind: fc.constant('unanswered' as const), poll: pollArb }),
  fc.record({ kind: fc.constant('truncated' as const), poll: pollArb, keep: fc.nat({ max: 60 }) }),
  fc.record({
    kind: fc.constant('corrupt' as const),
    poll: pollArb,
    at: fc.nat({ max: 60 }),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('exception' as const),
    poll: pollArb,
    code: fc.integer({ min: 1, max: 11 }),
  }),
  fc.record({ kind: fc.constant('late' as const), poll: pollArb }),
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('collide' as const),
      a: pollArb,
      bAddress: fc.nat({ max: SIZE - 1 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('lostRequest' as const),
      a: pollArb,
      b: pollArb,
      at: fc.nat({ max: 7 }),
      xor: fc.integer({ min: 1, max: 255 }),
    }),
  },
  fc.record({
    kind: fc.constant('overlap' as const),
    a: pollArb,
    b: pollArb,
    mode: fc.constantFrom('and' as const, 'interleave' as const),
  }),
  fc.record({
    kind: fc.constant('write' as const),
    unit: fc.constantFrom(...UNITS),
    address: fc.nat({ max: SIZE - 1 }),
    value: fc.nat({ max: 0xffff }),
  }),
);

function answerOf(m: Model, p: Poll): Buffer {
  const values = m[p.unit]![p.fn]!.slice(p.address, p.address + p.quantity);
  return p.fn <= 2
    ? bitAnswer(
        p.unit,
        p.fn,
        values.map((v) => v === 1),
      )
    : registerAnswer(p.unit, p.fn, values);
}
const requestOf = (p: Poll) => readRequest(p.unit, p.fn, p.address, p.quantity);
function flip(frame: Buffer, at: number, xor: number): Buffer {
  const out = Buffer.from(frame);
  out[at % out.length] = out[at % out.length]! ^ xor;
  return out;
}

/** The bytes the line carries, each with when it arrives; `gap` ms before the step (0: none). */
function render(m: Model, step: Step): [Buffer, number][] {
  switch (step.kind) {
    case 'poll':
      return [
        [requestOf(step.poll), 0],
        [answerOf(m, step.poll), step.delay],
      ];
    case 'garbage':
      return [[Buffer.from(step.bytes), 0]];
    case 'unanswered':
      return [[requestOf(step.poll), 0]];
    case 'truncated': {
      const answer = answerOf(m, step.poll);
      return [
        [requestOf(step.poll), 0],
        [answer.subarray(0, step.keep % answer.length), 20],
      ];
    }
    case 'corrupt':
      return [
        [requestOf(step.poll), 0],
        [flip(answerOf(m, step.poll), step.at, step.xor), 20],
      ];
    case 'exception':
      return [
        [requestOf(step.poll), 0],
        [exceptionAnswer(step.poll.unit, step.poll.fn, step.code), 20],
      ];
    case 'late':
      return [
        [requestOf(step.poll), 0],
        [answerOf(m, step.poll), TIMEOUT_MS + 100],
      ];
    case 'collide': {
      const b = { ...step.a, address: Math.min(step.bAddress, SIZE - step.a.quantity) };
      return [
        [requestOf(step.a), 0],
        [requestOf(b), 5],
        [answerOf(m, step.a), 30],
      ];
    }
    case 'lostRequest':
      return [
        [requestOf(step.a), 0],
        [flip(requestOf(step.b), step.at, step.xor), TIMEOUT_MS / 2],
        [answerOf(m, step.b), TIMEOUT_MS / 2 + 20],
      ];
    case 'overlap': {
      const a = Buffer.concat([requestOf(step.a), answerOf(m, step.a)]);
      const b = Buffer.concat([requestOf(step.b), answerOf(m, step.b)]);
      const n = Math.max(a.length, b.length);
      const bytes =
        step.mode === 'and'
          ? Buffer.from(Array.from({ length: n }, (_, i) => (a[i] ?? 0xff) & (b[i] ?? 0xff)))
          : Buffer.from(Array.from({ length: 2 * n }, (_, i) => (i % 2 ? b[i >> 1] : a[i >> 1]) ?? 0));
      return [[bytes, 0]];
    }
    case 'write': {
      const w = writeSingleRegister(step.unit, step.address, step.value);
      return [
        [w, 0],
        [w, 15],
      ];
    }
  }
}

interface Traffic {
  seed: number;
  steps: { step: Step; gap: number; cuts: number[] }[];
}

const trafficArb = (steps: fc.Arbitrary<Step>): fc.Arbitrary<Traffic> =>
  fc.record({
    seed: fc.integer(),
    steps: fc.array(
      fc.record({
        step: steps,
        gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1500 })),
        cuts: cutsArb,
      }),
      { minLength: 1, maxLength: 30 },
    ),
  });

/** Runs the traffic through framer, pairer and poll source; returns every value they reported. */
function listen(m: Model, traffic: Traffic) {
  const framer = new PassiveRtuFramer({ baudRate: BAUD });
  const pairer = new RequestPairer({ answerTimeoutMs: TIMEOUT_MS });
  const source = new ListenPollSource({
    devices: UNITS.map((unit) => ({
      id: `u${unit}`,
      unit,
      needs: [
        { table: 'holding' as const, address: 4, count: 3 },
        { table: 'coil' as const, address: 10, count: 2 },
      ],
    })),
  });
  const events: PairerEvent[] = [];
  const blocks: { unit: number; fn: number; address: number; values: number[] }[] = [];
  let t = 0;
  const feed = (bytes: Buffer, at: number) => {
    for (const f of framer.push(bytes, at)) {
      for (const e of pairer.frame(f)) {
        events.push(e);
        for (const out of source.event(e)) {
          if (out.kind !== 'block') continue;
          const b = out.block;
          const fn = b.table === 'holding' ? 3 : 1;
          blocks.push({
            unit: Number(out.device.slice(1)),
            fn,
            address: b.address,
            values: b.words ?? b.bits!.map(Number),
          });
        }
      }
    }
  };
  for (const { step, gap, cuts } of traffic.steps) {
    t += gap;
    let last = t;
    for (const [bytes, offset] of render(m, step)) {
      last = t + offset;
      for (const chunk of chunked(bytes, cuts)) feed(chunk, last);
    }
    t = last;
  }
  for (const f of framer.flush(t + 10_000)) events.push(...pairer.frame(f));
  return { events, blocks, framer, pairer };
}

describe('passive RTU listener, fuzzed (model-based)', () => {
  it(
    'never reports a value the model does not hold at the address it names',
    () => {
      fc.assert(
        fc.property(trafficArb(stepArb), (traffic) => {
          const m = modelOf(traffic.seed);
          const { events, blocks } = listen(m, traffic);
          for (const e of events) {
            if (e.kind !== 'read') continue;
            const r = e.read;
            const fn = { coil: 1, discrete: 2, holding: 3, input: 4 }[r.table];
            expect(TABLE_OF_FUNCTION[fn as 1]).toBe(r.table);
            const got = r.words ?? r.bits!.map(Number);
            expect(got).toEqual(m[r.unit]![fn]!.slice(r.startAddress, r.startAddress + got.length));
          }
          for (const b of blocks) {
            expect(b.values).toEqual(m[b.unit]![b.fn]!.slice(b.address, b.address + b.values.length));
          }
        }),
        fuzzParams(300),
      );
    },
    fuzzTestTimeout(60_000),
  );

  it(
    'reads every poll of a clean line, however the bytes are chunked and whether or not silences separate them',
    () => {
      const pollOnly = fc.record({
        kind: fc.constant('poll' as const),
        poll: pollArb,
        delay: fc.integer({ min: 0, max: TIMEOUT_MS - 50 }),
      });
      fc.assert(
        fc.property(trafficArb(pollOnly), (traffic) => {
          const m = modelOf(traffic.seed);
          const { events, framer } = listen(m, traffic);
          expect(events.filter((e) => e.kind === 'read')).toHaveLength(traffic.steps.length);
          expect(framer.stats.garbageBytes).toBe(0);
        }),
        fuzzParams(200),
      );
    },
    fuzzTestTimeout(60_000),
  );
});
