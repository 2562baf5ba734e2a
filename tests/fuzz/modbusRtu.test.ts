import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RegisterTable, SerialBusConfig } from '../../agent/config/schema.js';
import { silentLogger } from '../../agent/core/log.js';
import { RtuBus } from '../../drivers/modbus/rtuBus.js';
import type { ByteConnection, ByteTransport, TransportHandlers } from '../../drivers/serial/byteTransport.js';
import { MAX_FRAME_BYTES, scanAnswer } from '../../drivers/serial/frameScan.js';
import { SerialLine } from '../../drivers/serial/serialLine.js';
import { FakeClock } from '../helpers/fakeClock.js';
import { chunked, cutsArb, fuzzParams, fuzzTestTimeout } from './fuzzSettings.js';
import {
  answerPdu,
  byteCount,
  crc16Modbus,
  exceptionArb,
  FUNCTION,
  type Mutation,
  mutate,
  mutationsArb,
  type Outcome,
  outcomeOf,
  type ReadSpec,
  readSpecArb,
  rtuFrame,
  valuesOfPdu,
} from './modbusFuzzFrames.js';

/**
 * Modbus RTU answers from a noisy RS-485 line, through the real path: RtuBus on a SerialLine on an
 * in-memory byte transport, on a fake clock. Answers are mutated (bit flips, truncation, wrong unit,
 * function or byte count, exceptions, concatenations), split anywhere, delayed past the timeout,
 * and mixed with noise at random times. Every read settles with a Modbus AgentError or with values
 * that a frame correct for it (unit, function, byte count, CRC) carried.
 */

const TIMEOUT_MS = 100;
const TABLE_OF: Record<number, RegisterTable> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };

type Action =
  | {
      kind: 'answer';
      words: number[];
      exception: number | null;
      mutations: Mutation[];
      cuts: number[];
      /** Delay of each chunk from the request, fake ms: some beyond the timeout (late answers). */
      delays: number[];
    }
  | { kind: 'silent' };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('answer' as const),
      words: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 12, maxLength: 12 }),
      exception: exceptionArb,
      mutations: mutationsArb,
      cuts: cutsArb,
      delays: fc.array(fc.integer({ min: 0, max: 2 * TIMEOUT_MS }), { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'silent' as const }) },
);

/** Bytes on the line at a time of their own: a device elsewhere, a direction-switch glitch. */
const noiseArb = fc.array(
  fc.record({ at: fc.integer({ min: 0, max: 1000 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  { maxLength: 3 },
);

/** The far end of the line: answers the n-th request written with the n-th action. */
class ScriptedLine implements ByteTransport {
  readonly description = 'memory line';
  readonly delivered: Buffer[] = [];
  private handlers: TransportHandlers | undefined;
  private requests = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly actions: Action[],
  ) {}

  open(handlers: TransportHandlers): Promise<ByteConnection> {
    this.handlers = handlers;
    return Promise.resolve({
      write: (data) => {
        this.onRequest(Buffer.from(data));
        return Promise.resolve();
      },
      discardInput: () => Promise.resolve(),
      present: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    });
  }

  /** Puts `bytes` on the line `delay` fake ms from now. */
  deliver(bytes: Buffer, delay: number): void {
    this.clock.setTimeout(() => {
      this.delivered.push(bytes);
      this.handlers?.onData(bytes);
    }, delay);
  }

  private onRequest(request: Buffer): void {
    const action = this.actions[this.requests++];
    if (action === undefined || action.kind === 'silent') return;
    const table = TABLE_OF[request[1]!]!;
    const spec: ReadSpec = { unit: request[0]!, table, address: 0, count: request.readUInt16BE(4) };
    const values = action.words
      .slice(0, spec.count)
      .map((w) => (table === 'holding' || table === 'input' ? w : w & 1));
    const pdu =
      action.exception === null
        ? answerPdu(spec, values)
        : Buffer.from([0x80 | FUNCTION[table], action.exception]);
    const frame = action.mutations.reduce(mutate, rtuFrame(Buffer.concat([Buffer.from([spec.unit]), pdu])));
    let delay = 0;
    chunked(frame, action.cuts).forEach((c, i) => {
      delay = Math.max(delay, action.delays[i % action.delays.length]!);
      this.deliver(c, delay);
    });
  }
}

/** Does `line` hold a frame correct for `spec` (unit, function, byte count, CRC) carrying `values`? */
function carriedBy(line: Buffer, spec: ReadSpec, values: number[]): boolean {
  const length = 5 + byteCount(spec.table, spec.count);
  for (let i = 0; i + length <= line.length; i++) {
    const frame = line.subarray(i, i + length);
    if (frame[0] !== spec.unit) continue;
    const crc = crc16Modbus(frame.subarray(0, length - 2));
    if (frame[length - 2] !== (crc & 0xff) || frame[length - 1] !== crc >>> 8) continue;
    const got = valuesOfPdu(spec, frame.subarray(1, length - 2));
    if (got?.every((v, j) => v === values[j])) return true;
  }
  return false;
}

function busConfig(): SerialBusConfig {
  return {
    id: 'fuzz',
    type: 'serial',
    port: '/dev/null',
    baudRate: 9600,
    parity: 'none',
    dataBits: 8,
    stopBits: 1,
    timeout: TIMEOUT_MS,
    retries: 1,
    reconnect: { min: 10, max: 10 },
    workarounds: { pauseAfterOpen: 0, guardTime: 30 },
  };
}

describe('fuzz: Modbus RTU answers through RtuBus and SerialLine', () => {
  it(
    'every read settles with a Modbus error or with values from a frame correct for it',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(readSpecArb, { minLength: 1, maxLength: 4 }),
          fc.array(actionArb, { maxLength: 8 }),
          noiseArb,
          async (specs, actions, noise) => {
            const clock = new FakeClock();
            const log = silentLogger();
            const transport = new ScriptedLine(clock, actions);
            const line = new SerialLine({
              id: 'fuzz',
              transport,
              clock,
              log,
              reconnect: { min: 10, max: 10 },
              guardTimeMs: 30,
              presenceCheckMs: 60_000,
            });
            const bus = new RtuBus({ config: busConfig(), clock, log, line });
            bus.start();
            await clock.advance(0);
            expect(bus.isConnected()).toBe(true);
            for (const n of noise) transport.deliver(Buffer.from(n.bytes), n.at);

            const settled: (Outcome | undefined)[] = specs.map(() => undefined);
            const reads = specs.map((s, i) =>
              outcomeOf(bus.read(s.unit, s.table, s.address, s.count)).then((o) => {
                settled[i] = o;
              }),
            );
            // Fake time: each read needs at most (retries + 1) × (timeout + guard cap); far more is a hang.
            for (let t = 0; t < 20_000 && settled.includes(undefined); t += 10) await clock.advance(10);
            expect(
              settled.filter((o) => o === undefined),
              'reads still pending after 20 s',
            ).toHaveLength(0);
            await Promise.all(reads);

            const onLine = Buffer.concat(transport.delivered);
            settled.forEach((o, i) => {
              if (!o?.ok) return;
              expect(o.values).toHaveLength(specs[i]!.count);
              expect(carriedBy(onLine, specs[i]!, o.values), `read ${i} values ${o.values}`).toBe(true);
            });
            const stopped = bus.stop();
            await clock.advance(2000);
            await stopped;
          },
        ),
        fuzzParams(300, { runTimeoutMs: 10_000 }),
      );
    },
    fuzzTestTimeout(30_000),
  );

  it('an exchange never holds more than MAX_FRAME_BYTES, whatever streams in', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 700 }), { maxLength: 30 }),
        fc.constantFrom<(b: Buffer) => number>(
          () => 0, // a rule that never completes: the worst case for memory
          (b) => (b.length > 0 && b[0] === 1 ? 8 : -1),
          (b) => (b.indexOf(13) >= 0 ? b.indexOf(13) + 1 : 0),
        ),
        (chunks, frameLength) => {
          let rx: Buffer = Buffer.alloc(0);
          let noise = 0;
          for (const c of chunks) {
            const scan = scanAnswer(Buffer.concat([rx, c]), frameLength, noise);
            if (scan.kind !== 'wait') return; // the exchange ends: nothing is retained
            expect(scan.rx.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
            rx = scan.rx;
            noise = scan.noise;
          }
        },
      ),
      fuzzParams(200),
    );
  });
});
