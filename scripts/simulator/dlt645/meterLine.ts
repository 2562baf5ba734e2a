import { encodeAddress, WILDCARD_ADDRESS } from '../../../drivers/dlt645/bcd.js';
import { controlBits, type Dlt645Frame, encodeFrame } from '../../../drivers/dlt645/frame.js';
import { createFrameStream } from '../../../drivers/dlt645/frameStream.js';
import { addressMatches, CONTROL } from '../../../drivers/dlt645/messages.js';
import { createSimMeter, type SimMeter, type SimMeterOptions } from './simMeter.js';

/**
 * Several simulated meters sharing one RS-485 line: every request reaches all of them, the one
 * whose address it carries answers, the others keep quiet. The read-address request to AA…AA is
 * answered only when exactly one meter is on the line (with two, real meters would talk over each
 * other; here nobody answers, which is what a master sees after the collision garbles both).
 * Transport-free: bytes in through receive(), answers out through `send`, so the same line serves
 * a pty (serialMeterLine.ts) or an in-memory test transport.
 */

export interface MeterLineOptions {
  meters: SimMeterOptions[];
  send(bytes: Uint8Array): void;
  clock?: { now(): number };
  /** FE bytes before each answer (meters send 0–4). Default 2. */
  answerPreamble?: number;
}

export interface MeterLineStats {
  requests: number;
  answers: number;
  /** Requests to an address no meter on the line has (an unplugged meter, a typo). */
  unaddressed: number;
  badChecksum: number;
}

export interface MeterLine {
  receive(chunk: Uint8Array): void;
  addresses(): string[];
  meter(address: string): SimMeter | undefined;
  /** Puts a meter (back) on the line. */
  plug(opts: SimMeterOptions): SimMeter;
  /** Takes a meter off the line: from now on its address goes unanswered. */
  unplug(address: string): boolean;
  /** The facility hook: off drops the meter's current and power to zero. */
  setFacilityRunning(address: string, on: boolean): boolean;
  stats(): MeterLineStats;
}

export function createMeterLine(opts: MeterLineOptions): MeterLine {
  const clock = opts.clock ?? { now: () => Date.now() };
  const startedAt = clock.now();
  const meters = new Map<string, SimMeter>();
  const framer = createFrameStream();
  const stats = { requests: 0, answers: 0, unaddressed: 0 };
  const preamble = opts.answerPreamble ?? 2;

  const plug = (m: SimMeterOptions): SimMeter => {
    encodeAddress(m.address); // refuses a malformed address now, not at the first request
    const meter = createSimMeter(m, startedAt);
    meters.set(m.address, meter);
    return meter;
  };
  for (const m of opts.meters) plug(m);

  const reply = (frames: Dlt645Frame[]) => {
    for (const f of frames) {
      stats.answers++;
      opts.send(encodeFrame(f, { preamble }));
    }
  };

  const onRequest = (request: Dlt645Frame) => {
    if (controlBits(request.control).fromMeter) return; // another meter's answer on the shared line
    stats.requests++;
    if (request.address === WILDCARD_ADDRESS && request.control === CONTROL.readAddress2007) {
      const only = meters.size === 1 ? [...meters.values()][0]! : undefined;
      if (!only) return;
      reply([{ address: only.address, control: 0x93, data: encodeAddress(only.address) }]);
      return;
    }
    // AA pairs in the address are wildcards: every meter that fits hears itself asked. With more
    // than one, their answers would collide on the wire; the master gets nothing usable.
    const fitting = [...meters.values()].filter((m) => addressMatches(request.address, m.address));
    if (fitting.length === 0) stats.unaddressed++;
    if (fitting.length === 1) reply(fitting[0]!.answer(request, clock.now()));
  };

  return {
    receive(chunk) {
      for (const frame of framer.push(chunk)) onRequest(frame);
    },
    addresses: () => [...meters.keys()],
    meter: (address) => meters.get(address),
    plug,
    unplug: (address) => meters.delete(address),
    setFacilityRunning(address, on) {
      const meter = meters.get(address);
      meter?.setFacilityRunning(on);
      return meter !== undefined;
    },
    stats: () => ({ ...stats, badChecksum: framer.counters().badChecksum }),
  };
}
