import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../agent/config/load.js';
import type { DeviceConfig } from '../../agent/config/schema.js';
import { AgentError } from '../../agent/core/errors.js';
import { silentLogger } from '../../agent/core/log.js';
import { createAsciiDevicePoller } from '../../drivers/ascii/asciiDevicePoller.js';
import {
  computeChecksum,
  MAX_FRAME_BYTES,
  matchAnswer,
  parseNumber,
  terminatorFrameLength,
} from '../../drivers/ascii/asciiResponse.js';
import { parseStatusValue } from '../../drivers/ascii/asciiStatus.js';
import type { ByteConnection, ByteTransport, TransportHandlers } from '../../drivers/serial/byteTransport.js';
import { SerialLine } from '../../drivers/serial/serialLine.js';
import { FakeClock } from '../helpers/fakeClock.js';
import { chunked, cutsArb, fuzzParams, fuzzTestTimeout } from './fuzzSettings.js';

/**
 * Text-protocol analyzers (C-Link style) answering garbage: random lines and bytes, mutated valid
 * answers, answers without a terminator, split anywhere, through the real path (the device poller
 * on a SerialLine on an in-memory transport, fake clock) and into the parsers directly. A poll
 * always resolves with one reading per channel, each a finite value or null with flag B or D, and
 * every failure an ASCII_* AgentError.
 */

const ASCII_CODES = ['ASCII_TIMEOUT', 'ASCII_DISCONNECTED', 'ASCII_BAD_RESPONSE'];

/** The O3 analyzer of the air-station example, its C-Link profile applied by the real loader. */
function exampleO3(): DeviceConfig {
  const text = readFileSync(
    fileURLToPath(new URL('../../config/examples/air-station.yaml', import.meta.url)),
    'utf8',
  );
  const loaded = loadConfigText(text, 'air-station.yaml', {
    MQTT_PASSWORD: 'x',
    STATUS_TOKEN: 'x'.repeat(16),
  });
  if (!loaded.ok)
    throw new Error(`the air-station example does not load: ${JSON.stringify(loaded.problems)}`);
  const o3 = loaded.config.devices.find((d) => d.id === 'o3');
  if (!o3?.ascii) throw new Error('the air-station example has no ascii device o3');
  return o3;
}

const O3 = exampleO3();
/** The same analyzer with a checksummed answer, to fuzz the checksum path too. */
const O3_SUM: DeviceConfig = {
  ...O3,
  ascii: {
    ...O3.ascii!,
    pattern: '^o3\\s+(?<o3>\\S+)\\s+(?<checksum>[0-9A-Fa-f]{2})$',
    checksum: 'sum8-hex',
  },
};

function validAnswer(device: DeviceConfig, command: string, value: string): string {
  if (command === 'flags') return `flags ${value}`;
  const body = `o3 ${value} `;
  return device.ascii!.checksum === 'sum8-hex'
    ? body + computeChecksum('sum8-hex', Buffer.from(body, 'latin1'))
    : `${body}ppb`;
}

interface Reply {
  bytes: Buffer;
  cuts: number[];
  delay: number;
}

const textValue = fc.oneof(
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('----', 'OVER', '1.2.3', '', '7349E-3', '1e999', '-0', '0C100400', '20000000', 'FFFFFFFF'),
  fc.string({ maxLength: 12 }),
);

/** An answer: a valid one (maybe mutated), random text, or random bytes; terminated or not. */
function replyArb(device: DeviceConfig, command: string): fc.Arbitrary<Reply> {
  const text = fc.oneof(
    textValue.map((v) => validAnswer(device, command, v)),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
  );
  const bytes = fc
    .tuple(
      text,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 2 }),
      fc.oneof(fc.constant('\r'), fc.constant('\r\n'), fc.constant(''), fc.constant('\n')),
      fc.oneof(
        { weight: 9, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }) },
      ),
    )
    .map(([t, flips, end, padding]) => {
      const b = Buffer.from(`${t}${'x'.repeat(padding)}${end}`, 'latin1');
      for (const [at, bit] of flips) if (b.length > 0) b[at % b.length]! ^= 1 << bit;
      return b;
    });
  return fc.record({
    bytes,
    cuts: cutsArb,
    delay: fc.oneof(
      { weight: 5, arbitrary: fc.constant(5) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 2500 }) },
    ),
  });
}

/** Answers the n-th request with the n-th reply. */
class ScriptedAnalyzer implements ByteTransport {
  readonly description = 'memory line';
  private handlers: TransportHandlers | undefined;
  private n = 0;

  constructor(
    private readonly clock: FakeClock,
    private readonly replies: Reply[],
  ) {}

  open(handlers: TransportHandlers): Promise<ByteConnection> {
    this.handlers = handlers;
    return Promise.resolve({
      write: () => {
        const reply = this.replies[this.n++];
        if (reply) {
          for (const c of chunked(reply.bytes, reply.cuts)) {
            this.clock.setTimeout(() => this.handlers?.onData(c), reply.delay);
          }
        }
        return Promise.resolve();
      },
      discardInput: () => Promise.resolve(),
      present: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    });
  }
}

describe('fuzz: ASCII analyzer answers', () => {
  it(
    'a poll always resolves with flagged readings and ASCII errors only',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc
            .constantFrom(O3, O3_SUM)
            .chain((device) =>
              fc.tuple(
                fc.constant(device),
                fc.array(fc.oneof(replyArb(device, 'o3'), replyArb(device, 'flags')), { maxLength: 6 }),
              ),
            ),
          async ([device, replies]) => {
            const clock = new FakeClock();
            const log = silentLogger();
            const line = new SerialLine({
              id: 'fuzz',
              transport: new ScriptedAnalyzer(clock, replies),
              clock,
              log,
              reconnect: { min: 10, max: 10 },
              guardTimeMs: 30,
              presenceCheckMs: 60_000,
            });
            line.start();
            await clock.advance(0);
            const poller = createAsciiDevicePoller({ device, line, clock, log });
            for (let poll = 0; poll < 2; poll++) {
              let result: Awaited<ReturnType<typeof poller.poll>> | undefined;
              const p = poller.poll().then((r) => {
                result = r;
              });
              for (let t = 0; t < 20_000 && result === undefined; t += 50) await clock.advance(50);
              await p;
              expect(result, 'poll still pending after 20 s').toBeDefined();
              const r = result!;
              expect(r.readings).toHaveLength(device.channels.length);
              for (const reading of r.readings) {
                if (reading.value === null) expect(['B', 'D']).toContain(reading.flag);
                else expect(Number.isFinite(reading.value)).toBe(true);
              }
              for (const e of r.errors) {
                expect(e).toBeInstanceOf(AgentError);
                expect(ASCII_CODES).toContain(e.code);
              }
              expect(r.ok).toBe(r.errors.length === 0);
            }
            const stopped = line.stop();
            await clock.advance(2000);
            await stopped;
          },
        ),
        fuzzParams(150, { runTimeoutMs: 10_000 }),
      );
    },
    fuzzTestTimeout(30_000),
  );

  it('the parsers never throw and only accept what they document', () => {
    const frameLength = terminatorFrameLength(Buffer.from('\r'));
    const patterns = [O3, O3_SUM].flatMap((d) => [d.ascii!.pattern, d.ascii!.status?.pattern ?? '^$']);
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 2000 }),
        fc.constantFrom(...patterns),
        (text, source) => {
          const buf = Buffer.from(text, 'latin1');
          const n = frameLength(buf);
          expect(n === -1 || n === 0 || (n > 0 && n <= buf.length)).toBe(true);
          if (n === -1) expect(buf.length).toBeGreaterThan(MAX_FRAME_BYTES);
          for (const checksum of ['none', 'sum8-hex', 'xor8-hex', 'sum16-hex'] as const) {
            const m = matchAnswer(text, new RegExp(source, 'd'), checksum);
            expect(['ok', 'no-match', 'bad-checksum']).toContain(m.kind);
          }
          const num = parseNumber(text);
          if (num !== undefined) expect(Number.isFinite(num)).toBe(true);
          for (const base of [10, 16] as const) {
            const status = parseStatusValue(text, base);
            if (status !== undefined) expect(Number.isSafeInteger(status)).toBe(true);
          }
        },
      ),
      fuzzParams(500),
    );
  });
});
