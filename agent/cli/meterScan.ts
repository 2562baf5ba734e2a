import { createDlt645Client, type Dlt645Client } from '../../drivers/dlt645/client.js';
import { createLineTransport } from '../../drivers/dlt645/lineTransport.js';
import { Dlt645Error } from '../../drivers/dlt645/meterErrors.js';
import { readValues } from '../../drivers/dlt645/readValues.js';
import { type ByteConnection, serialTransport } from '../../drivers/serial/byteTransport.js';
import type { ProgressStream } from './progressBar.js';

/**
 * `station-agent scan --meters`: which DL/T 645 meters answer on a line. Without `--address`, the
 * 2007 read-address command to the wildcard address AAAAAAAAAAAA: every meter on the line answers
 * it, so it finds the address only where a single meter is attached (several answers collide);
 * with `--address a,b,c`, each meter is asked for its forward active energy (00010000), one at a
 * time with one resend. Exit codes: 0 some meter answered, 1 none did or the port could not be
 * opened.
 */

/** Energy, the one identifier every DL/T 645-2007 meter has. */
const ENERGY = 0x00010000;

export interface MeterScanOptions {
  port: string;
  baud: number;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  /** Meter addresses to ask; empty: the broadcast read-address. */
  addresses: string[];
  timeout: number;
}

export async function scanMeters(opts: MeterScanOptions, io: { out: ProgressStream; err: ProgressStream }) {
  const line = createLineTransport((bytes) => conn!.write(Buffer.from(bytes)));
  let conn: ByteConnection | undefined;
  const settings = `${opts.baud} 8${opts.parity[0]!.toUpperCase()}${opts.stopBits}`;
  try {
    conn = await serialTransport({
      path: opts.port,
      baudRate: opts.baud,
      parity: opts.parity,
      dataBits: 8,
      stopBits: opts.stopBits,
    }).open({ onData: (chunk) => line.receive(chunk), onLost: () => {} });
  } catch (err) {
    io.err.write(`station-agent: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const client = createDlt645Client({
    transport: line.transport,
    timers: { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h) },
    options: { timeoutMs: opts.timeout, retries: 1 },
  });
  try {
    io.err.write(`scanning DL/T 645 meters on serial ${opts.port} ${settings}, timeout ${opts.timeout}ms\n`);
    const found =
      opts.addresses.length === 0 ? await broadcast(client, io) : await byAddress(client, opts.addresses, io);
    if (found === 0) {
      io.out.write('no meter answered\n');
      io.out.write('  check the wiring (A/B swapped?), baud rate and parity (meters: 2400 8E1 by default)\n');
      if (opts.addresses.length === 0)
        io.out.write('  several meters on the line answer the broadcast together: give --address\n');
    }
    return found > 0 ? 0 : 1;
  } finally {
    client.close();
    await conn.close();
  }
}

async function broadcast(client: Dlt645Client, io: { out: ProgressStream }): Promise<number> {
  try {
    const address = await client.readAddress();
    const energy = await readValues(client, address, ENERGY).then(
      (v) => ` (forward active energy ${v[0]} kWh)`,
      () => '',
    );
    io.out.write(`meter ${address}: answered the broadcast read-address${energy}\n`);
    return 1;
  } catch (err) {
    if (!(err instanceof Dlt645Error) || err.code !== 'DLT645_TIMEOUT') throw err;
    return 0;
  }
}

async function byAddress(client: Dlt645Client, addresses: string[], io: { out: ProgressStream }) {
  let found = 0;
  for (const address of addresses) {
    try {
      const [kwh] = await readValues(client, address, ENERGY);
      io.out.write(`meter ${address}: answered (forward active energy ${kwh} kWh)\n`);
      found++;
    } catch (err) {
      if (!(err instanceof Dlt645Error)) throw err;
      if (err.code === 'DLT645_TIMEOUT') io.out.write(`meter ${address}: no answer\n`);
      else {
        // An error answer or a bad one still proves a meter with that address is there.
        io.out.write(`meter ${address}: answered with ${err.code}: ${err.message}\n`);
        found++;
      }
    }
  }
  io.out.write(`${found} of ${addresses.length} meter(s) answered\n`);
  return found;
}
