import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SimulatorHandle } from './modbusTcpServer.js';

/**
 * A tiny JSON control API so a test or a person can break a simulator running in another process
 * (`curl -X POST localhost:5021/units/7/silent -d '{"on":true}'`). Loopback only by default: it
 * changes what a monitoring station reports, so it must not be reachable from the network.
 *
 *   GET  /stats                          counters and fault settings per unit
 *   GET  /units/:unit/values             current engineering values of the unit's points
 *   POST /units/:unit/state      {"value":1}       instrument state (0 measuring … 3 fault)
 *   POST /units/:unit/silent     {"on":true}       never answer
 *   POST /units/:unit/slow       {"ms":1500}       answer late (0: prompt)
 *   POST /units/:unit/exception  {"code":2}        answer with an exception (null: normal)
 *   POST /units/:unit/points/:name {"value":12.5}  pin a value (null: back to the generator)
 *   POST /units/:unit/corrupt-crc {"probability":0.1}  corrupt answers (Modbus RTU simulator only)
 */

export type ControlTarget = Pick<
  SimulatorHandle,
  'units' | 'setState' | 'setSilent' | 'setSlow' | 'setException' | 'setValue' | 'values' | 'stats'
> & {
  /** Only simulators with a CRC to break (Modbus RTU) have it. */
  setCorruptCrc?: (unit: number, probability: number) => void;
};

export interface ControlServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

const bodies = {
  state: z.strictObject({ value: z.number().int().min(0).max(65535) }),
  silent: z.strictObject({ on: z.boolean() }),
  slow: z.strictObject({ ms: z.number().int().min(0).max(3_600_000) }),
  exception: z.strictObject({ code: z.number().int().min(1).max(255).nullable() }),
  point: z.strictObject({ value: z.number().finite().nullable() }),
  corruptCrc: z.strictObject({ probability: z.number().min(0).max(1) }),
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request handler on its own, so tests can drive it without a process. */
export function createControlHandler(
  sim: ControlTarget,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(sim, req).then(
      (body) => send(res, 200, body),
      (err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        send(res, status, { error: err instanceof Error ? err.message : String(err) });
      },
    );
  };
}

async function route(sim: ControlTarget, req: IncomingMessage): Promise<unknown> {
  const path = new URL(req.url ?? '/', 'http://control').pathname;
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/stats') return sim.stats();

  const m =
    /^\/units\/(\d+)\/(state|silent|slow|exception|corrupt-crc|values|points\/([A-Za-z0-9_-]+))$/.exec(path);
  if (m === null) throw new HttpError(404, `no route ${method} ${path}`);
  const unit = Number(m[1]);
  if (!sim.units.includes(unit))
    throw new HttpError(404, `unknown unit ${unit} (units: ${sim.units.join(', ')})`);
  const action = m[3] === undefined ? m[2]! : 'point';

  if (action === 'values') {
    if (method !== 'GET') throw new HttpError(405, 'use GET for values');
    return sim.values(unit);
  }
  if (method !== 'POST') throw new HttpError(405, `use POST for ${action}`);
  const json = await readJson(req);
  switch (action) {
    case 'state':
      sim.setState(unit, parseBody(bodies.state, json).value);
      break;
    case 'silent':
      sim.setSilent(unit, parseBody(bodies.silent, json).on);
      break;
    case 'slow':
      sim.setSlow(unit, parseBody(bodies.slow, json).ms);
      break;
    case 'exception':
      sim.setException(unit, parseBody(bodies.exception, json).code);
      break;
    case 'corrupt-crc':
      if (sim.setCorruptCrc === undefined)
        throw new HttpError(404, 'corrupt-crc needs the Modbus RTU simulator');
      sim.setCorruptCrc(unit, parseBody(bodies.corruptCrc, json).probability);
      break;
    case 'point': {
      const name = m[3]!;
      if (!(name in sim.values(unit))) throw new HttpError(404, `unit ${unit} has no point "${name}"`);
      sim.setValue(unit, name, parseBody(bodies.point, json).value);
      break;
    }
  }
  return { ok: true, unit, stats: sim.stats().units[unit] };
}

function parseBody<T>(schema: z.ZodType<T>, json: unknown): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
  throw new HttpError(400, issues.join('; '));
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text.trim() === '' ? {} : JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'body is not JSON'));
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Serves the control API; port 0 picks a free port (plain node:http, unlike ServerTCP). */
export function startControlServer(
  sim: ControlTarget,
  opts: { port: number; host?: string },
): Promise<ControlServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(createControlHandler(sim));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = addr !== null && typeof addr === 'object' ? addr.port : opts.port;
      let closing: Promise<void> | undefined;
      resolve({
        host,
        port,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections(); // keep-alive clients must not hold the port
          });
          return closing;
        },
      });
    });
  });
}
