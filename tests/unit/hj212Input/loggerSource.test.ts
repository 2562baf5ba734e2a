import { describe, expect, it } from 'vitest';
import type { PushSink } from '../../../agent/acquisition/driverPlugin.js';
import { LoggerSource } from '../../../agent/acquisition/hj212Input/loggerSource.js';
import type { DeviceConfig } from '../../../agent/config/schema.js';
import type { AgentError } from '../../../agent/core/errors.js';
import type { PollResult } from '../../../agent/core/pollOutcome.js';
import { FakeClock } from '../../helpers/fakeClock.js';

/** A logger device's pushed source: uploads to the sink, silence for N intervals → link lost. */

const device = {
  id: 'logger1',
  bus: 'logger-in',
  interval: 30_000,
  logger: { mn: 'MN1', pw: '123456', version: '2017' },
  channels: [{ id: 'cod', code: 'w01018' }],
} as unknown as DeviceConfig;

const result: PollResult = { readings: [], ok: true, errors: [], raw: new Map(), state: null };

function recordingSink() {
  const events: string[] = [];
  const sink: PushSink = {
    result: async () => {
      events.push('result');
    },
    linkLost: (e: AgentError) => events.push(`lost ${e.code} ${e.context.device}`),
    linkResumed: () => events.push('resumed'),
  };
  return { events, sink };
}

function source(clock: FakeClock) {
  return new LoggerSource({
    device,
    linkLostAfter: 3,
    clock,
    counters: () => ({ framesOk: 4, duplicates: 2, answered: 4, unknownCodes: { w99999: 1 } }),
  });
}

describe('LoggerSource', () => {
  it('reports the link lost after linkLostAfter intervals without an upload, and back with the next one', async () => {
    const clock = new FakeClock();
    const s = source(clock);
    const { events, sink } = recordingSink();
    s.start(sink);
    await clock.advance(60_000);
    await s.deliver(result);
    await clock.advance(89_999);
    expect(events).toEqual(['result']);
    await clock.advance(1);
    await clock.advance(200_000);
    expect(events).toEqual(['result', 'lost HJ212_INPUT_SILENT logger1']);
    await s.deliver(result);
    expect(events).toEqual(['result', 'lost HJ212_INPUT_SILENT logger1', 'resumed', 'result']);
    await s.stop();
  });

  it('refuses an upload while not running, so the logger gets no 9014 and sends it again', async () => {
    const s = source(new FakeClock());
    expect(() => s.deliver(result)).toThrow(/not running/);
    const { sink } = recordingSink();
    s.start(sink);
    await s.stop();
    expect(() => s.deliver(result)).toThrow(/not running/);
  });

  it('resolves a delivery only once the sink has committed it, and rejects when the commit fails', async () => {
    const clock = new FakeClock({ wall: Date.UTC(2026, 0, 1) });
    const s = source(clock);
    let fail = false;
    s.start({
      result: async () => {
        if (fail) throw new Error('disk I/O error');
      },
      linkLost: () => {},
      linkResumed: () => {},
    });
    await expect(s.deliver(result)).resolves.toBeUndefined();
    fail = true;
    // The upload handler answers 9014 only after deliver resolves: a failed commit gets no answer.
    await expect(s.deliver(result)).rejects.toThrow('disk I/O error');
    await s.stop();
  });

  it("shows the input's counters of its MN and the records it kept", () => {
    const s = source(new FakeClock());
    s.aggregatesKept(2);
    expect(s.status()).toEqual({
      received: 4,
      duplicates: 2,
      unknownCodes: { w99999: 1 },
      answered: 4,
      deviceAggregates: 2,
    });
  });
});
