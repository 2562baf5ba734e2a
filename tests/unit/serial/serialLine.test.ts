import { createServer, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/core/clock.js';
import { silentLogger } from '../../../agent/core/log.js';
import type { ByteConnection, ByteTransport } from '../../../drivers/serial/byteTransport.js';
import { serialTransport } from '../../../drivers/serial/byteTransport.js';
import { SerialLine, SerialLineError, type SerialLineOptions } from '../../../drivers/serial/serialLine.js';
import { tcpTransport } from '../../../drivers/serial/tcpTransport.js';
import { waitFor } from '../../../scripts/support/agentProcess.js';
import { createPtyPair, type PtyPair } from '../../../scripts/support/pty.js';

/**
 * A toy protocol on a real socat pty pair: requests are 4 bytes [0xAA, n, 0, 0]; the responder
 * answers [0xBB, n, 1, 2] unless told otherwise. The answers carry n, so a late answer shows up.
 */
const request = (n: number) => Buffer.from([0xaa, n, 0, 0]);
const answer = (n: number) => Buffer.from([0xbb, n, 1, 2]);
/** Accepts any 4 bytes: no addressing, so only the line's guard keeps late answers out. */
const anyFour = (b: Buffer) => (b.length > 0 ? 4 : 0);
const bbFrame = (b: Buffer) => (b.length === 0 ? 0 : b[0] === 0xbb ? 4 : -1);

type Reply = (n: number, port: SerialPort) => void;

class Responder {
  port: SerialPort | undefined;
  readonly seen: { n: number; at: number }[] = [];
  reply: Reply = (n, port) => port.write(answer(n));
  private rx = Buffer.alloc(0);

  constructor(private readonly path: string) {}

  async open(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: 115200, autoOpen: false });
    port.on('error', () => {});
    port.on('data', (chunk: Buffer) => {
      this.rx = Buffer.concat([this.rx, chunk]);
      while (this.rx.length >= 4) {
        const n = this.rx[1]!;
        this.rx = this.rx.subarray(4);
        this.seen.push({ n, at: performance.now() });
        this.reply(n, port);
      }
    });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    this.port = port;
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    return new Promise((resolve) => (port?.isOpen ? port.close(() => resolve()) : resolve()));
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function setup(opts: Partial<SerialLineOptions> = {}) {
  const pty = await createPtyPair();
  cleanups.push(() => pty.stop());
  const responder = new Responder(pty.simPath);
  await responder.open();
  cleanups.push(() => responder.close());
  const line = lineOn(pty, opts);
  line.start();
  expect(await line.ready(2000)).toBe(true);
  return { pty, responder, line };
}

function lineOn(pty: PtyPair, opts: Partial<SerialLineOptions> = {}): SerialLine {
  const line = new SerialLine({
    id: 'rs485',
    transport: serialTransport({
      path: pty.agentPath,
      baudRate: 115200,
      parity: 'none',
      dataBits: 8,
      stopBits: 1,
    }),
    clock: systemClock,
    log: silentLogger(),
    reconnect: { min: 50, max: 200 },
    guardTimeMs: 50,
    ...opts,
  });
  cleanups.push(() => line.stop());
  return line;
}

async function rejection(p: Promise<unknown>): Promise<SerialLineError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SerialLineError) return err;
    throw err;
  }
  throw new Error('expected a SerialLineError');
}

describe('SerialLine on a pty', () => {
  it('exchanges one request at a time, in order', async () => {
    const { responder, line } = await setup();
    let outstanding = 0;
    let maxOutstanding = 0;
    responder.reply = (n, port) => {
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      setTimeout(() => {
        outstanding--;
        port.write(answer(n));
      }, 5);
    };
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => line.transact(request(n), bbFrame, 500)));
    expect(answers.map((a) => a[1])).toEqual([1, 2, 3, 4, 5]);
    expect(responder.seen.map((s) => s.n)).toEqual([1, 2, 3, 4, 5]);
    expect(maxOutstanding).toBe(1);
    expect(line.stats()).toMatchObject({ transactions: 5, completed: 5, timeouts: 0, open: true });
  });

  it('never takes a late answer for the next request (guard time, then flush)', async () => {
    const { responder, line } = await setup({ guardTimeMs: 150 });
    responder.reply = (n, port) => {
      if (n === 1)
        setTimeout(() => port.write(answer(1)), 130); // after the 100 ms timeout
      else port.write(answer(n));
    };
    const first = rejection(line.transact(request(1), anyFour, 100));
    const second = line.transact(request(2), anyFour, 300);
    expect((await first).kind).toBe('timeout');
    expect((await second)[1]).toBe(2);
    // The late answer was dropped: read and counted, or flushed from the OS buffer unread.
    expect(line.stats().guards).toBe(1);
    // Request 2 went out only after the late answer (and a quiet guard time).
    const sent2 = responder.seen.find((x) => x.n === 2)!.at;
    const sent1 = responder.seen.find((x) => x.n === 1)!.at;
    expect(sent2 - sent1).toBeGreaterThanOrEqual(130);
  });

  it('skips a glitch byte before an answer, fails on garbage, and recovers', async () => {
    const { responder, line } = await setup();
    responder.reply = (n, port) => {
      if (n === 1) port.write(Buffer.concat([Buffer.from([0x00]), answer(1)]));
      else if (n === 2) port.write(Buffer.alloc(40, 0x55));
      else port.write(answer(n));
    };
    expect((await line.transact(request(1), bbFrame, 300))[1]).toBe(1);
    expect((await rejection(line.transact(request(2), bbFrame, 300))).kind).toBe('garbage');
    expect((await line.transact(request(3), bbFrame, 300))[1]).toBe(3);
    expect(line.stats()).toMatchObject({ garbage: 1, guards: 1 });
  });

  it('drops and counts bytes that arrive outside any exchange', async () => {
    const { responder, line } = await setup();
    responder.port!.write(Buffer.from('unsolicited'));
    await waitFor(() => line.stats().discardedBytes >= 11, 2000, 'discarded bytes');
    expect((await line.transact(request(9), bbFrame, 300))[1]).toBe(9);
  });

  it('pauses between requests and after opening', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.stop());
    const responder = new Responder(pty.simPath);
    await responder.open();
    cleanups.push(() => responder.close());
    const line = lineOn(pty, { pauseBetweenRequestsMs: 80, pauseAfterOpenMs: 300 });
    const t0 = performance.now();
    line.start();
    await waitFor(() => line.stats().opens === 1, 2000, 'open');
    expect(line.isOpen()).toBe(false); // settling
    expect(await line.ready(2000)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    await Promise.all([1, 2, 3].map((n) => line.transact(request(n), bbFrame, 300)));
    const at = responder.seen.map((s) => s.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(75);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(75);
  });

  it('notices an unplug at once, fails fast meanwhile, and reopens when the port is back', async () => {
    const { pty, responder, line } = await setup();
    responder.reply = () => {}; // never answers: the unplug happens mid-exchange
    const inFlight = rejection(line.transact(request(1), bbFrame, 5000)); // handled from the start
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await responder.close();
    await pty.stop();
    expect((await inFlight).kind).toBe('disconnected');
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(line.isOpen()).toBe(false);
    expect((await rejection(line.transact(request(2), bbFrame, 300))).kind).toBe('disconnected');

    await new Promise((r) => setTimeout(r, 400));
    await pty.start();
    responder.reply = (n, port) => port.write(answer(n));
    await responder.open();
    expect(await line.ready(3000)).toBe(true);
    expect((await line.transact(request(3), bbFrame, 300))[1]).toBe(3);
    expect(line.stats()).toMatchObject({ opens: 2, losses: 1 });
    expect(line.stats().openFailures).toBeGreaterThanOrEqual(1);
  });

  it('names the port when another process holds it', async () => {
    const pty = await createPtyPair();
    cleanups.push(() => pty.stop());
    const holder = new SerialPort({ path: pty.agentPath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((e) => (e ? reject(e) : resolve())));
    cleanups.push(() => new Promise((r) => holder.close(() => r(undefined))));
    const line = lineOn(pty);
    line.start();
    expect(await line.ready(300)).toBe(false);
    const err = line.stats().lastOpenError ?? '';
    expect(err).toContain(pty.agentPath);
    expect(err).toMatch(/in use by another process/);
  });

  it('says so when the port does not exist', async () => {
    const line = new SerialLine({
      id: 'x',
      transport: serialTransport({
        path: '/dev/nonexistent-tty',
        baudRate: 9600,
        parity: 'none',
        dataBits: 8,
        stopBits: 1,
      }),
      clock: systemClock,
      log: silentLogger(),
      reconnect: { min: 50, max: 100 },
    });
    cleanups.push(() => line.stop());
    line.start();
    await waitFor(() => line.stats().openFailures >= 2, 2000, 'open failures');
    expect(line.stats().lastOpenError).toBe(
      'serial port /dev/nonexistent-tty does not exist (unplugged, or a wrong name?)',
    );
  });
});

describe('SerialLine loss detection without OS events', () => {
  it('treats a device path that vanished as a loss even though the port looks open', async () => {
    let present = true;
    let opens = 0;
    const transport: ByteTransport = {
      description: 'fake',
      async open() {
        opens++;
        const conn: ByteConnection = {
          write: async () => {},
          discardInput: async () => {},
          present: async () => present,
          close: async () => {},
        };
        return conn;
      },
    };
    const line = new SerialLine({
      id: 'fake',
      transport,
      clock: systemClock,
      log: silentLogger(),
      reconnect: { min: 30, max: 30 },
      presenceCheckMs: 40,
    });
    cleanups.push(() => line.stop());
    line.start();
    expect(await line.ready(500)).toBe(true);
    const hanging = rejection(line.transact(request(1), bbFrame, 10_000));
    present = false;
    expect((await hanging).kind).toBe('disconnected');
    expect(line.stats().losses).toBe(1);
    present = true;
    expect(await line.ready(1000)).toBe(true);
    expect(opens).toBe(2);
  });
});

describe('SerialLine over TCP (a serial server)', () => {
  it('exchanges frames and presumes a silent connection dead after consecutive timeouts', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.on('data', (d: Buffer) => {
        if (d[1] !== 0) s.write(answer(d[1]!)); // request 0 is never answered
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r(undefined));
        }),
    );
    const port = (server.address() as { port: number }).port;
    const line = new SerialLine({
      id: 'gw',
      transport: tcpTransport({ host: '127.0.0.1', port, connectTimeoutMs: 1000, clock: systemClock }),
      clock: systemClock,
      log: silentLogger(),
      reconnect: { min: 30, max: 60 },
      guardTimeMs: 20,
      deadAfterTimeouts: 2,
    });
    cleanups.push(() => line.stop());
    line.start();
    expect(await line.ready(1000)).toBe(true);
    expect((await line.transact(request(5), bbFrame, 300))[1]).toBe(5);
    expect((await rejection(line.transact(request(0), bbFrame, 50))).kind).toBe('timeout');
    expect((await rejection(line.transact(request(0), bbFrame, 50))).kind).toBe('timeout');
    expect(line.stats().losses).toBe(1);
    expect(await line.ready(1000)).toBe(true);
    expect((await line.transact(request(6), bbFrame, 300))[1]).toBe(6);
    expect(line.stats().opens).toBe(2);
  });
});
