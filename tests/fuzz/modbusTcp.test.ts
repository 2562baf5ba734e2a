import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../agent/core/clock.js';
import { silentLogger } from '../../agent/core/log.js';
import { MbapFrameWatch } from '../../drivers/modbus/mbapWatch.js';
import { ModbusTcpBus } from '../../drivers/modbus/tcpBus.js';
import { chunked, cutsArb, fuzzParams, fuzzTestTimeout } from './fuzzSettings.js';
import {
  answerPdu,
  byteCount,
  exceptionArb,
  FUNCTION,
  type Mutation,
  mutate,
  mutationsArb,
  type Outcome,
  outcomeOf,
  type ReadSpec,
  readSpecArb,
  valuesArb,
  valuesOfPdu,
} from './modbusFuzzFrames.js';

/**
 * Modbus TCP answers from a hostile or broken gateway, through the real path: our ModbusTcpBus and
 * modbus-serial on a loopback socket to a tiny server that answers each request with fuzzed bytes.
 * Every read settles with a Modbus AgentError or with values that a frame correct for THAT request
 * (transaction id, protocol, length, unit, function, byte count) carried: TCP has no CRC, so a
 * flipped data bit in an otherwise correct frame is a different value, not an error.
 */

const TIMEOUT_MS = 60;

type Action =
  | { kind: 'answer'; values: number[]; exception: number | null; mutations: Mutation[]; cuts: number[] }
  | { kind: 'late'; values: number[] }
  | { kind: 'silent' };

interface Step {
  spec: ReadSpec;
  action: Action;
}

function actionArb(spec: ReadSpec): fc.Arbitrary<Action> {
  return fc.oneof(
    { weight: 6, arbitrary: answerArb(spec) },
    { weight: 1, arbitrary: valuesArb(spec).map((values) => ({ kind: 'late' as const, values })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'silent' as const }) },
  );
}

function answerArb(spec: ReadSpec): fc.Arbitrary<Action> {
  return fc.record({
    kind: fc.constant('answer' as const),
    values: valuesArb(spec),
    exception: exceptionArb,
    mutations: mutationsArb,
    cuts: cutsArb,
  });
}

const stepArb: fc.Arbitrary<Step> = readSpecArb.chain((spec) =>
  actionArb(spec).map((action) => ({ spec, action })),
);

function mbap(tid: number, unit: number, pdu: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt16BE(tid, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(pdu.length + 1, 4);
  head[6] = unit;
  return Buffer.concat([head, pdu]);
}

/** Does `sent` hold a frame correct for this request (its tid and unit) that carries `values`? */
function carriedBy(sent: Buffer, tid: number, spec: ReadSpec, values: number[]): boolean {
  const pduLength = 2 + byteCount(spec.table, spec.count);
  for (let i = 0; i + 7 + pduLength <= sent.length; i++) {
    if (sent.readUInt16BE(i) !== tid || sent.readUInt16BE(i + 2) !== 0) continue;
    if (sent.readUInt16BE(i + 4) !== pduLength + 1 || sent[i + 6] !== spec.unit) continue;
    const got = valuesOfPdu(spec, sent.subarray(i + 7, i + 7 + pduLength));
    if (got?.every((v, j) => v === values[j])) return true;
  }
  return false;
}

/** The gateway: answers request n with steps[n]'s action; records what arrived and what it sent. */
class FuzzGateway {
  readonly server: Server = createServer((s) => this.onConnection(s));
  private sockets = new Set<Socket>();
  private timers = new Set<NodeJS.Timeout>();
  steps: Step[] = [];
  requests: { tid: number }[] = [];
  sent: Buffer[] = [];

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  reset(steps: Step[]): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    this.steps = steps;
    this.requests = [];
    this.sent = [];
  }

  async close(): Promise<void> {
    this.reset([]);
    await new Promise((r) => this.server.close(r));
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    let rx = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      rx = Buffer.concat([rx, chunk]);
      while (rx.length >= 6 && rx.length >= 6 + rx.readUInt16BE(4)) {
        const request = rx.subarray(0, 6 + rx.readUInt16BE(4));
        rx = rx.subarray(request.length);
        this.answer(socket, request.readUInt16BE(0));
      }
    });
  }

  private answer(socket: Socket, tid: number): void {
    const step = this.steps[this.requests.length];
    this.requests.push({ tid });
    if (step === undefined) return;
    const { spec, action } = step;
    const send = (bytes: Buffer) => {
      this.sent.push(bytes);
      if (!socket.destroyed) socket.write(bytes);
    };
    switch (action.kind) {
      case 'silent':
        return;
      case 'late': {
        const t = setTimeout(
          () => send(mbap(tid, spec.unit, answerPdu(spec, action.values))),
          TIMEOUT_MS + 80,
        );
        this.timers.add(t);
        return;
      }
      case 'answer': {
        const pdu =
          action.exception === null
            ? answerPdu(spec, action.values)
            : Buffer.from([0x80 | FUNCTION[spec.table], action.exception]);
        const bytes = action.mutations.reduce(mutate, mbap(tid, spec.unit, pdu));
        // Separate writes, a turn apart, so the client sees (most of) the splits.
        chunked(bytes, action.cuts).forEach((c, i) => {
          if (i === 0) send(c);
          else this.timers.add(setTimeout(() => send(c), 0));
        });
      }
    }
  }
}

const gateway = new FuzzGateway();
let port = 0;
beforeAll(async () => {
  port = await gateway.listen();
});
afterAll(() => gateway.close());

describe('fuzz: Modbus TCP answers through ModbusTcpBus and modbus-serial', () => {
  it(
    'every read settles with a Modbus error or with values from a frame correct for it',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 3 }), async (steps) => {
          gateway.reset(steps);
          const bus = new ModbusTcpBus({
            config: {
              id: 'fuzz',
              type: 'tcp',
              host: '127.0.0.1',
              port,
              timeout: TIMEOUT_MS,
              retries: 0,
              reconnect: { min: 20, max: 50 },
            },
            clock: systemClock,
            log: silentLogger(),
          });
          bus.start();
          try {
            expect(await bus.ready(5000)).toBe(true);
            // Queued all at once: the bus puts one on the wire at a time, in order.
            const outcomes: Outcome[] = await Promise.all(
              steps.map(({ spec }) => outcomeOf(bus.read(spec.unit, spec.table, spec.address, spec.count))),
            );
            const sent = Buffer.concat(gateway.sent);
            outcomes.forEach((o, i) => {
              if (!o.ok) return;
              const tid = gateway.requests[i]?.tid;
              expect(tid, `read ${i} resolved without reaching the gateway`).toBeDefined();
              expect(o.values).toHaveLength(steps[i]!.spec.count);
              expect(carriedBy(sent, tid!, steps[i]!.spec, o.values), `read ${i} values ${o.values}`).toBe(
                true,
              );
            });
          } finally {
            await bus.stop();
          }
        }),
        fuzzParams(25, { runTimeoutMs: 10_000 }),
      );
    },
    fuzzTestTimeout(30_000),
  );
});

describe('fuzz: MbapFrameWatch, the check reading along with modbus-serial', () => {
  it('reports the same frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cutsArb, (bytes, cuts) => {
        const whole: string[] = [];
        new MbapFrameWatch((r) => whole.push(r)).push(Buffer.from(bytes));
        const split: string[] = [];
        const watch = new MbapFrameWatch((r) => split.push(r));
        for (const c of chunked(bytes, cuts)) watch.push(c);
        expect(split).toEqual(whole);
      }),
      fuzzParams(300),
    );
  });
});

describe('Modbus TCP regressions found by fuzzing', () => {
  it('a coil answer whose byte count exceeds its data (1 → 3) yields no values', async () => {
    const spec: ReadSpec = { unit: 167, table: 'coil', address: 355, count: 4 };
    const mutations: Mutation[] = [{ kind: 'flip', at: 8, bit: 1 }];
    expect(await readOnce(spec, [0, 0, 0, 0], mutations)).toBe('MODBUS_BAD_RESPONSE');
  });

  it('an answer whose MBAP protocol id is not 0 yields no values (modbus-serial does not check it)', async () => {
    const spec: ReadSpec = { unit: 240, table: 'discrete', address: 552, count: 12 };
    const values = Array.from({ length: 12 }, () => 0);
    expect(await readOnce(spec, values, [{ kind: 'set', at: 2, value: 1 }])).toBe('MODBUS_BAD_RESPONSE');
  });

  /** One read answered with `values` after `mutations`: "values" or the error code. */
  async function readOnce(spec: ReadSpec, values: number[], mutations: Mutation[]): Promise<string> {
    gateway.reset([{ spec, action: { kind: 'answer', values, exception: null, mutations, cuts: [] } }]);
    const bus = new ModbusTcpBus({
      config: {
        id: 'fuzz',
        type: 'tcp',
        host: '127.0.0.1',
        port,
        timeout: 1000,
        retries: 0,
        reconnect: { min: 20, max: 50 },
      },
      clock: systemClock,
      log: silentLogger(),
    });
    bus.start();
    try {
      expect(await bus.ready(5000)).toBe(true);
      const outcome = await outcomeOf(bus.read(spec.unit, spec.table, spec.address, spec.count));
      return outcome.ok ? 'values' : outcome.error.code;
    } finally {
      await bus.stop();
    }
  }

  it('the same answers unmutated are taken (the checks refuse only what is wrong)', async () => {
    const spec: ReadSpec = { unit: 167, table: 'coil', address: 355, count: 4 };
    expect(await readOnce(spec, [1, 0, 1, 1], [])).toBe('values');
    expect(await readOnce({ ...spec, table: 'holding' }, [1, 65535, 0, 7], [])).toBe('values');
  });
});
