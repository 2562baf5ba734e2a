import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect as mqttConnect } from 'mqtt';
import { freePort } from './freePort.js';

/**
 * A real mosquitto broker for integration tests: a generated config in a temp dir, loopback only,
 * anonymous access. An in-process broker would not show what a real one does with retained messages,
 * wills and sessions.
 */
export interface MosquittoHandle {
  port: number;
  url: string;
  /** The broker's process id while it runs (the bench samples its CPU). */
  pid(): number | undefined;
  /**
   * SIGTERM and wait for exit. With persistence the broker saves its sessions first and they are back
   * after restart(), so the temp dir stays (call dispose() at the end); without, the temp dir is removed
   * (restart() recreates it).
   */
  stop(): Promise<void>;
  /** SIGKILL: a broker crash. */
  kill(): void;
  /** Stops if running, then starts again on the same port. */
  restart(): Promise<void>;
  /** Stops if running and removes the temp dir, persisted state included. */
  dispose(): Promise<void>;
}

export interface MosquittoOptions {
  port?: number;
  /** Keep sessions and retained messages across stop()/restart() (saved on a clean stop). Default false. */
  persistence?: boolean;
  /** A TLS listener (mqtts://) instead of plain MQTT, with these PEM files. */
  tls?: MosquittoTls;
  /** Users the broker accepts (name -> password, via mosquitto_passwd); anonymous clients are refused. */
  users?: Record<string, string>;
  /** The text of an ACL file (mosquitto `acl_file`); without it every client may use every topic. */
  acl?: string;
  /**
   * mosquitto `max_packet_size`: a client sending a larger packet is disconnected; MQTT 5 clients
   * are told the limit in the CONNACK, 3.1.1 clients are not (as cloud brokers with a cap behave).
   */
  maxPacketSize?: number;
}

export interface MosquittoTls {
  cafile: string;
  certfile: string;
  keyfile: string;
  /** Clients must present a certificate signed by cafile. Default false. */
  requireCertificate?: boolean;
}

const INSTALL_HINT = 'sudo apt-get install -y mosquitto';
const READY_TIMEOUT_MS = 5000;

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoHandle> {
  const bin = findMosquitto();
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  const confPath = join(dir, 'mosquitto.conf');
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${opts.users === undefined}`,
    `persistence ${opts.persistence === true}`,
  ];
  if (opts.tls) {
    const t = opts.tls;
    lines.push(`cafile ${t.cafile}`, `certfile ${t.certfile}`, `keyfile ${t.keyfile}`);
    lines.push(`require_certificate ${t.requireCertificate === true}`);
  }
  // Kept as text and written on every launch, like the config: stop() may remove the dir.
  const passwd = opts.users ? passwordFileText(dir, opts.users) : undefined;
  if (passwd !== undefined) lines.push(`password_file ${join(dir, 'passwd')}`);
  if (opts.acl !== undefined) lines.push(`acl_file ${join(dir, 'acl')}`);
  if (opts.maxPacketSize !== undefined) lines.push(`max_packet_size ${opts.maxPacketSize}`);
  if (opts.persistence) lines.push(`persistence_location ${dir}/`);
  // As root mosquitto drops to user "mosquitto", which cannot write our temp dir (and may not exist).
  if (process.getuid?.() === 0) lines.push('user root');
  lines.push('log_dest stderr', 'log_type error', 'log_type warning');
  const config = `${lines.join('\n')}\n`;
  const removeDir = () => rmSync(dir, { recursive: true, force: true });

  let proc: ChildProcess | null = null;
  let stderr = '';

  const launch = async (): Promise<void> => {
    stderr = '';
    // Written on every launch: stop() without persistence removes the dir, and restart() must still work.
    mkdirSync(dir, { recursive: true });
    writeFileSync(confPath, config);
    if (passwd !== undefined) writeFileSync(join(dir, 'passwd'), passwd);
    if (opts.acl !== undefined) writeFileSync(join(dir, 'acl'), opts.acl);
    const child = spawn(bin, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    proc = child;
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`mosquitto exited (${code ?? signal}) before accepting connections:\n${stderr}`)),
      );
      child.once('error', (err) => reject(err));
    });
    exited.catch(() => {});
    await Promise.race([waitForPort(port, READY_TIMEOUT_MS), exited]);
  };

  const stop = async (): Promise<void> => {
    const child = proc;
    proc = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  const handle: MosquittoHandle = {
    port,
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    pid: () => (proc as ChildProcess | null)?.pid,
    stop: async () => {
      await stop();
      if (!opts.persistence) removeDir();
    },
    kill: () => {
      const child = proc as ChildProcess | null;
      proc = null;
      child?.kill('SIGKILL');
    },
    restart: async () => {
      await stop();
      await launch();
    },
    dispose: async () => {
      await stop();
      removeDir();
    },
  };
  return handle;
}

/** A mosquitto password file made by mosquitto_passwd (its hash format is mosquitto's business). */
function passwordFileText(dir: string, users: Record<string, string>): string {
  const file = join(dir, 'passwd');
  writeFileSync(file, '');
  for (const [user, password] of Object.entries(users)) {
    try {
      execFileSync('mosquitto_passwd', ['-b', file, user, password], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(
          `mosquitto_passwd is needed for password tests but was not found; install it: ${INSTALL_HINT}`,
        );
      }
      throw err;
    }
  }
  return readFileSync(file, 'utf8');
}

function findMosquitto(): string {
  const dirs = [
    ...(process.env.PATH ?? '').split(delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/opt/homebrew/sbin',
  ];
  const candidates = [process.env.MOSQUITTO_BIN, ...dirs.filter(Boolean).map((d) => join(d, 'mosquitto'))];
  for (const c of candidates) {
    if (c === undefined) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `the mosquitto broker is needed for integration tests but was not found; install it: ${INSTALL_HINT}`,
  );
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = netConnect({ port, host: '127.0.0.1' });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not accept connections on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `cond` until true; rejects with `what` after `timeoutMs`. */
export async function until(
  cond: () => boolean,
  timeoutMs: number,
  what: string | (() => string) = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ReadingCollector {
  /** Every payload received, parsed, in arrival order (duplicates included). */
  readonly payloads: unknown[];
  /** Every seq received, in arrival order (duplicates included). */
  readonly received: number[];
  /** Distinct seqs received. */
  readonly unique: Set<number>;
  /** received.length - unique.size */
  duplicates(): number;
  /** Resolves once every seq in 1..maxSeq has arrived. */
  waitForAll(maxSeq: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface CollectOptions {
  /** A persistent session (clean=false) with this client id survives the subscriber's reconnects. */
  clientId?: string;
}

/** Subscribes (QoS 1) to a readings topic and records the seqs it receives; resolves once subscribed. */
export async function collectReadings(
  url: string,
  topic: string,
  opts: CollectOptions = {},
): Promise<ReadingCollector> {
  const client = mqttConnect(url, {
    clientId: opts.clientId ?? `collector-${process.pid}-${Math.random().toString(16).slice(2)}`,
    clean: opts.clientId === undefined,
    reconnectPeriod: 100,
  });
  client.on('error', () => {});
  const payloads: unknown[] = [];
  const received: number[] = [];
  const unique = new Set<number>();
  client.on('message', (_topic, message) => {
    const payload = JSON.parse(message.toString()) as { readings: { seq: number }[] };
    payloads.push(payload);
    for (const r of payload.readings) {
      received.push(r.seq);
      unique.add(r.seq);
    }
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => {
      client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
    });
  });
  return {
    payloads,
    received,
    unique,
    duplicates: () => received.length - unique.size,
    waitForAll: (maxSeq, timeoutMs = 20_000) =>
      until(
        () => {
          for (let s = 1; s <= maxSeq; s++) if (!unique.has(s)) return false;
          return true;
        },
        timeoutMs,
        () => `seqs 1..${maxSeq} (missing ${missing(unique, maxSeq).slice(0, 10).join(',')}…)`,
      ),
    close: () => client.endAsync(true),
  };
}

function missing(unique: Set<number>, maxSeq: number): number[] {
  const out: number[] = [];
  for (let s = 1; s <= maxSeq; s++) if (!unique.has(s)) out.push(s);
  return out;
}
