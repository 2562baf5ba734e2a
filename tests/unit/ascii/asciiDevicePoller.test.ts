import { describe, expect, it } from 'vitest';
import type { ChannelConfig, DeviceConfig } from '../../../agent/config/schema.js';
import { AgentError } from '../../../agent/core/errors.js';
import { silentLogger } from '../../../agent/core/log.js';
import { type ByteExchange, createAsciiDevicePoller } from '../../../drivers/ascii/asciiDevicePoller.js';
import { computeChecksum } from '../../../drivers/ascii/asciiResponse.js';
import { FakeClock } from '../../helpers/fakeClock.js';

type Answer = string | Error;

/** Answers by command text (prefix byte and terminator removed); records the raw requests. */
class FakeLine implements ByteExchange {
  readonly requests: Buffer[] = [];
  constructor(public answers: Record<string, Answer>) {}

  async transact(request: Buffer, frameLength: (buf: Buffer) => number): Promise<Buffer> {
    this.requests.push(request);
    const command = request.subarray(1, request.length - 1).toString('latin1');
    const answer = this.answers[command];
    if (answer === undefined) throw Object.assign(new Error('timed out'), { kind: 'timeout' });
    if (answer instanceof Error) throw answer;
    // Delivered in two chunks, as a serial line does: the first must not count as a frame.
    const bytes = Buffer.from(answer, 'latin1');
    expect(frameLength(bytes.subarray(0, 2))).toBe(0);
    const n = frameLength(bytes);
    if (n < 0) throw Object.assign(new Error('garbage'), { kind: 'garbage' });
    return bytes.subarray(0, n);
  }
}

const channel = (id: string, field: string, extra: Partial<ChannelConfig> = {}): ChannelConfig => ({
  id,
  field,
  scale: 1,
  offset: 0,
  ...extra,
});

function device(ascii: Partial<NonNullable<DeviceConfig['ascii']>> = {}): DeviceConfig {
  return {
    id: 'nox',
    bus: 'com1',
    unit: 1,
    interval: 10_000,
    enabled: true,
    channels: [
      channel('no', 'no', { code: 'a21003', unit: 'ppb' }),
      channel('no2', 'no2', { code: 'a21004', unit: 'ppb', scale: 1000 }),
    ],
    workarounds: {},
    ascii: {
      command: 'no',
      prefixByte: 170,
      terminator: '\r',
      timeout: 500,
      pattern: '^no (?<no>\\S+) no2 (?<no2>\\S+)',
      checksum: 'none',
      status: {
        command: 'flags',
        pattern: '^flags (?<value>[0-9A-Fa-f]+)',
        base: 16,
        rules: [
          { mask: 0x2000_0000, flag: 'M' },
          { mask: 0xffff, flag: 'D' },
        ],
        default: 'N',
      },
      ...ascii,
    },
  };
}

function setup(answers: Record<string, Answer>, dev = device()) {
  const line = new FakeLine(answers);
  const clock = new FakeClock({ wall: 1_700_000_000_000 });
  const poller = createAsciiDevicePoller({ device: dev, line, clock, log: silentLogger() });
  return { line, poller };
}

const summary = (r: { readings: { value: number | null; flag: string }[] }) =>
  r.readings.map((x) => [x.value, x.flag]);

describe('ascii device poller', () => {
  it('sends prefix + command + terminator, decodes every field and flags by the status', async () => {
    const { line, poller } = setup({ no: 'no 1.25E+01 no2 -.5E-3 \r\n', flags: 'flags 00000000\r\n' });
    const result = await poller.poll();
    expect([...line.requests[0]!]).toEqual([170, ...Buffer.from('no\r')]);
    expect([...line.requests[1]!]).toEqual([170, ...Buffer.from('flags\r')]);
    expect(result.ok).toBe(true);
    expect(result.state).toBe(0);
    expect(summary(result)).toEqual([
      [12.5, 'N'],
      [-0.5, 'N'],
    ]);
    expect(result.readings[0]).toMatchObject({
      ts: 1_700_000_000_000,
      device: 'nox',
      code: 'a21003',
      unit: 'ppb',
    });
    expect(String.fromCharCode(...result.raw.get('no')!)).toBe('1.25E+01');
  });

  it('maps status bits through the rules in order', async () => {
    const { line, poller } = setup({ no: 'no 1 no2 2\r', flags: 'flags 20000004\r' });
    expect(summary(await poller.poll()).map((x) => x[1])).toEqual(['M', 'M']);
    line.answers.flags = 'flags 00000004\r';
    const result = await poller.poll();
    expect(result.state).toBe(4);
    expect(summary(result).map((x) => x[1])).toEqual(['D', 'D']);
  });

  it('gives B for every channel on a timeout and does not ask for the status', async () => {
    const { line, poller } = setup({ flags: 'flags 0\r' });
    const result = await poller.poll();
    expect(line.requests).toHaveLength(1);
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.code)).toEqual(['ASCII_TIMEOUT']);
    expect(result.errors[0]!.context).toMatchObject({ device: 'nox', request: '\\xaano\\r' });
    expect(result.state).toBeNull();
    expect(summary(result)).toEqual([
      [null, 'B'],
      [null, 'B'],
    ]);
  });

  it('maps line failures to ascii codes, keeping AgentErrors as thrown', async () => {
    const lost = setup({ no: Object.assign(new Error('port closed'), { kind: 'disconnected' }) });
    expect((await lost.poller.poll()).errors[0]!.code).toBe('ASCII_DISCONNECTED');
    const odd = setup({ no: new AgentError('STORE_FAILED', 'odd') });
    expect((await odd.poller.poll()).errors[0]!.code).toBe('STORE_FAILED');
    const plain = setup({ no: new Error('boom') });
    expect((await plain.poller.poll()).errors[0]!.code).toBe('ASCII_DISCONNECTED');
  });

  it('gives B when the answer does not match, but still reads the status', async () => {
    const { line, poller } = setup({ no: 'bad cmd\r', flags: 'flags 0\r' });
    const result = await poller.poll();
    expect(line.requests).toHaveLength(2);
    expect(result.errors.map((e) => e.code)).toEqual(['ASCII_BAD_RESPONSE']);
    expect(result.errors[0]!.context.answer).toBe('bad cmd');
    expect(result.state).toBe(0);
    expect(summary(result)).toEqual([
      [null, 'B'],
      [null, 'B'],
    ]);
  });

  it('gives D for a field that is not a number or did not take part in the match', async () => {
    const dev = device({ pattern: '^no (?<no>\\S+)(?: no2 (?<no2>\\S+))?' });
    const { poller } = setup({ no: 'no ---- \r', flags: 'flags 0\r' }, dev);
    const result = await poller.poll();
    expect(result.ok).toBe(true); // the analyzer answered properly: it has no valid value
    expect(summary(result)).toEqual([
      [null, 'D'],
      [null, 'D'],
    ]);
  });

  it('keeps the values flagged N when only the status is unreadable, and says so in errors', async () => {
    const { poller } = setup({ no: 'no 1 no2 2\r', flags: 'flags zz\r' });
    const result = await poller.poll();
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.code)).toEqual(['ASCII_BAD_RESPONSE']);
    expect(result.state).toBeNull();
    expect(summary(result)).toEqual([
      [1, 'N'],
      [2000, 'N'],
    ]);
  });

  it('verifies the checksum of values and status', async () => {
    const pattern = '^no (?<no>\\S+) no2 (?<no2>\\S+) (?<checksum>[0-9A-F]{2})';
    const dev = device({ pattern, checksum: 'sum8-hex' });
    dev.ascii!.status!.pattern = '^flags (?<value>[0-9A-F]+) (?<checksum>[0-9A-F]{2})';
    const sign = (text: string) => `${text}${computeChecksum('sum8-hex', Buffer.from(text))}\r`;
    const { line, poller } = setup({ no: sign('no 1 no2 2 '), flags: sign('flags 20000000 ') }, dev);
    expect(summary(await poller.poll())).toEqual([
      [1, 'M'],
      [2000, 'M'],
    ]);
    line.answers.no = sign('no 1 no2 2 ').replace('no2 2', 'no2 3');
    const result = await poller.poll();
    expect(result.errors[0]!.message).toMatch(/checksum .* does not match/);
    expect(summary(result)).toEqual([
      [null, 'B'],
      [null, 'B'],
    ]);
  });

  it('without a status command flags N and sends one request per poll', async () => {
    const dev = device({ status: undefined, prefixByte: undefined, command: 'no', terminator: '\r' });
    const line = new FakeLine({});
    // Without a prefix byte the command is the whole request minus the terminator.
    line.transact = async (request, frameLength) => {
      line.requests.push(request);
      expect(request.toString('latin1')).toBe('no\r');
      const bytes = Buffer.from('no 3 no2 4\r');
      return bytes.subarray(0, frameLength(bytes));
    };
    const poller = createAsciiDevicePoller({
      device: dev,
      line,
      clock: new FakeClock(),
      log: silentLogger(),
    });
    const result = await poller.poll();
    expect(line.requests).toHaveLength(1);
    expect(result.state).toBeNull();
    expect(summary(result)).toEqual([
      [3, 'N'],
      [4000, 'N'],
    ]);
  });

  it('refuses a device without an ascii block', () => {
    const { ascii: _ascii, ...modbus } = device();
    expect(() =>
      createAsciiDevicePoller({
        device: modbus,
        line: new FakeLine({}),
        clock: new FakeClock(),
        log: silentLogger(),
      }),
    ).toThrow(/no ascii block/);
  });
});
