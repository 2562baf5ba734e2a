import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * An emulated RS-485 multi-drop line for tests and demos: K pseudo-terminals joined so that every
 * byte one end writes is seen by all the others, as on a shared A/B pair. The simulator can answer
 * on one end, an independent poller (the station's logger) poll on another, and the agent listen on
 * a third.
 *
 * Each end is a socat child bridging a pty (`<dir>/<name>`) to a UNIX socket served by this hub
 * (`<dir>/<name>.sock`), so the hub knows which end every byte came from: it counts the bytes each
 * end wrote (a listener's end must stay at zero) and can inject faults: noise, a truncated frame,
 * a frame overlapping another (two transmitters at once).
 */

export interface Rs485BusOptions {
  /** Names of the ends (letters, digits, - and _), e.g. ['sim', 'logger', 'agent']. */
  ends: readonly string[];
  /** Folder for the pty links and sockets; a fresh temporary folder by default (removed on stop). */
  dir?: string;
  /** Random noise (1..8 bytes) put on the line every this many ms; off by default. */
  garbageEveryMs?: number;
}

export interface Rs485BusEnd {
  readonly name: string;
  /** The pty device to open, like /dev/ttyUSB0. */
  readonly path: string;
}

export interface Rs485Bus {
  readonly dir: string;
  readonly ends: readonly Rs485BusEnd[];
  path(name: string): string;
  /** Bytes the device on this end has written to the line so far. */
  written(name: string): number;
  /** Bytes from no end (noise, a foreign talker), delivered to every end (or those named). */
  inject(bytes: Uint8Array, to?: readonly string[]): void;
  /** The next chunk this end writes reaches the others cut to its first `keep` bytes. */
  truncateNext(from: string, keep: number): void;
  /** The next chunk this end writes collides with `bytes` (the line carries their AND). */
  collideNext(from: string, bytes: Uint8Array): void;
  stop(): Promise<void>;
}

interface EndState {
  readonly name: string;
  readonly path: string;
  readonly sock: string;
  server?: Server;
  conn?: Socket;
  socat?: ChildProcess;
  written: number;
  fault?: { kind: 'truncate'; keep: number } | { kind: 'collide'; bytes: Uint8Array };
}

const NAME = /^[A-Za-z0-9_-]{1,32}$/;

export async function startRs485Bus(opts: Rs485BusOptions): Promise<Rs485Bus> {
  if (opts.ends.length < 2) throw new Error('an RS-485 line needs at least 2 ends');
  for (const name of opts.ends) {
    if (!NAME.test(name)) throw new Error(`end name "${name}": use letters, digits, - and _ (at most 32)`);
  }
  if (new Set(opts.ends).size !== opts.ends.length) throw new Error('end names must differ');
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sa-rs485-'));
  mkdirSync(dir, { recursive: true });
  const ends: EndState[] = opts.ends.map((name) => ({
    name,
    path: join(dir, name),
    sock: join(dir, `${name}.sock`),
    written: 0,
  }));
  let stopped = false;
  let garbageTimer: NodeJS.Timeout | undefined;

  const deliver = (bytes: Uint8Array, to: readonly EndState[]) => {
    for (const end of to) end.conn?.write(bytes);
  };

  const onBytes = (from: EndState, chunk: Buffer) => {
    from.written += chunk.length;
    let bytes: Uint8Array = chunk;
    const fault = from.fault;
    from.fault = undefined;
    if (fault?.kind === 'truncate') bytes = chunk.subarray(0, fault.keep);
    if (fault?.kind === 'collide') {
      const n = Math.max(chunk.length, fault.bytes.length);
      bytes = Buffer.from(Array.from({ length: n }, (_, i) => (chunk[i] ?? 0xff) & (fault.bytes[i] ?? 0xff)));
    }
    deliver(
      bytes,
      ends.filter((e) => e !== from),
    );
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (garbageTimer) clearInterval(garbageTimer);
    await Promise.all(
      ends.map(async (end) => {
        end.conn?.destroy();
        const child = end.socat;
        if (child && child.exitCode === null && child.signalCode === null) {
          await new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          });
        }
        await new Promise<void>((resolve) => (end.server ? end.server.close(() => resolve()) : resolve()));
      }),
    );
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const end of ends) await startEnd(end, onBytes);
  } catch (err) {
    await stop();
    throw err;
  }
  if (opts.garbageEveryMs !== undefined && opts.garbageEveryMs > 0) {
    garbageTimer = setInterval(
      () => deliver(randomBytes(1 + Math.floor(Math.random() * 8)), ends),
      opts.garbageEveryMs,
    );
  }

  const find = (name: string): EndState => {
    const end = ends.find((e) => e.name === name);
    if (!end) throw new Error(`no end named "${name}" (ends: ${ends.map((e) => e.name).join(', ')})`);
    return end;
  };
  return {
    dir,
    ends: ends.map(({ name, path }) => ({ name, path })),
    path: (name) => find(name).path,
    written: (name) => find(name).written,
    inject: (bytes, to) => deliver(bytes, to ? to.map(find) : ends),
    truncateNext: (from, keep) => {
      find(from).fault = { kind: 'truncate', keep };
    },
    collideNext: (from, bytes) => {
      find(from).fault = { kind: 'collide', bytes };
    },
    stop,
  };
}

/** Serves the end's socket, starts its socat, and waits until both the connection and the pty are there. */
async function startEnd(end: EndState, onBytes: (from: EndState, chunk: Buffer) => void): Promise<void> {
  const connected = new Promise<Socket>((resolve) => {
    end.server = createServer((conn) => {
      if (end.conn) {
        conn.destroy();
        return;
      }
      end.conn = conn;
      conn.on('data', (chunk: Buffer) => onBytes(end, chunk));
      conn.on('error', () => {});
      conn.on('close', () => {
        if (end.conn === conn) end.conn = undefined;
      });
      resolve(conn);
    });
  });
  // A socket left by an earlier run in the same folder would make listen() fail.
  rmSync(end.sock, { force: true });
  await new Promise<void>((resolve, reject) => {
    end.server!.once('error', reject);
    end.server!.listen(end.sock, () => resolve());
  });
  const child = spawn('socat', [`pty,raw,echo=0,link=${end.path}`, `UNIX-CONNECT:${end.sock}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  end.socat = child;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start socat (is it installed?): ${err.message}`)));
  });
  const deadline = Date.now() + 10_000;
  let conn: Socket | undefined;
  void connected.then((c) => {
    conn = c;
  });
  while (!(conn && existsSync(end.path))) {
    if (child.exitCode !== null) throw new Error(`socat for end ${end.name} exited: ${stderr.trim()}`);
    if (Date.now() > deadline)
      throw new Error(`socat for end ${end.name} not ready within 10 s: ${stderr.trim()}`);
    await Promise.race([new Promise((r) => setTimeout(r, 20)), spawnFailed]);
  }
}
