import { readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { SerialPort } from 'serialport';
import { renderTable } from './textTable.js';

/**
 * `station-agent ports`: the serial ports of this machine, for the `port:` of a serial bus.
 * serialport's list() asks udev (path, manufacturer, serial number, USB ids, the stable
 * /dev/serial/by-id name). Without udev (containers, minimal images) or when list() fails, it
 * looks in /dev instead and says so. It never fails: exit code 0, whatever it finds.
 */

export interface PortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  /** The stable name under /dev/serial/by-id/, when known. */
  byId?: string;
}

export interface PortsDeps {
  list(): Promise<PortInfo[]>;
  scanDev(): Promise<PortInfo[]>;
}

const LIST_TIMEOUT_MS = 5000;
const DEV_PATTERN = /^tty(S|USB|ACM)\d+$/;
const BY_ID_DIR = '/dev/serial/by-id';

async function serialportList(): Promise<PortInfo[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${LIST_TIMEOUT_MS / 1000}s`)),
      LIST_TIMEOUT_MS,
    );
  });
  try {
    const ports = await Promise.race([SerialPort.list(), timeout]);
    return ports.map((p) => ({
      path: p.path,
      manufacturer: p.manufacturer,
      serialNumber: p.serialNumber,
      vendorId: p.vendorId,
      productId: p.productId,
      byId: p.pnpId ? join(BY_ID_DIR, p.pnpId) : undefined,
    }));
  } finally {
    clearTimeout(timer);
  }
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** /dev/ttyS*, /dev/ttyUSB*, /dev/ttyACM*, with their /dev/serial/by-id names where there are any. */
export async function scanDevDirectory(dev = '/dev', byIdDir = BY_ID_DIR): Promise<PortInfo[]> {
  const byTarget = new Map<string, string>();
  const orphans: PortInfo[] = [];
  for (const name of (await entries(byIdDir)).sort()) {
    const link = join(byIdDir, name);
    const target = await realpath(link).catch(() => undefined);
    if (target) byTarget.set(target, link);
    else orphans.push({ path: link }); // a dangling link: show it rather than hide it
  }
  const names = (await entries(dev)).filter((n) => DEV_PATTERN.test(n));
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const ports: PortInfo[] = names.map((n) => {
    const path = join(dev, n);
    const byId = byTarget.get(path);
    byTarget.delete(path);
    return byId ? { path, byId } : { path };
  });
  // by-id links to devices of another name (ttyAMA0, ttyXRUSB0…): list them under their target.
  for (const [target, link] of byTarget) ports.push({ path: target, byId: link });
  return [...ports, ...orphans];
}

const defaultDeps: PortsDeps = { list: serialportList, scanDev: () => scanDevDirectory() };

export function formatPorts(ports: readonly PortInfo[]): string {
  const usbId = (p: PortInfo) =>
    p.vendorId || p.productId ? `${p.vendorId ?? '?'}:${p.productId ?? '?'}` : '';
  return renderTable(
    ['path', 'manufacturer', 'serial number', 'vid:pid', 'by-id'],
    ports.map((p) => [p.path, p.manufacturer ?? '', p.serialNumber ?? '', usbId(p), p.byId ?? '']),
  );
}

export async function portsCommand(
  io: { out: { write(text: string): unknown } },
  deps: PortsDeps = defaultDeps,
): Promise<number> {
  let listed: PortInfo[] | undefined;
  let note: string;
  try {
    listed = await deps.list();
    note = 'serialport found no port (udev missing or not running?): looked in /dev instead';
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    note = `serialport could not list the ports (${msg}): looked in /dev instead`;
  }
  if (listed && listed.length > 0) {
    io.out.write(`${formatPorts(listed)}\n`);
    io.out.write(
      `${listed.length} serial port(s). Prefer the by-id name in a config: it survives re-plugging.\n`,
    );
    return 0;
  }
  let found: PortInfo[] = [];
  try {
    found = await deps.scanDev();
  } catch (err) {
    note += ` (and that failed: ${err instanceof Error ? err.message : String(err)})`;
  }
  io.out.write(`${note}\n`);
  if (found.length === 0) {
    io.out.write('no serial ports found (is the USB adapter plugged in? see dmesg)\n');
    return 0;
  }
  io.out.write(`${formatPorts(found)}\n`);
  if (found.some((p) => /\/ttyS\d+$/.test(p.path))) {
    io.out.write('note: /dev/ttyS* exist whether or not a serial chip is behind them.\n');
  }
  io.out.write(`${found.length} device(s) found.\n`);
  return 0;
}

export function portsCommandDefinition(): Command {
  return new Command('ports')
    .description('list the serial ports of this machine (path, manufacturer, serial number, USB ids)')
    .addHelpText(
      'after',
      `
Uses udev through serialport; without udev it looks for /dev/ttyS*, /dev/ttyUSB*, /dev/ttyACM*
and /dev/serial/by-id/* and says so. Exits 0 whatever it finds (2 for an unknown option).

Example:
  station-agent ports`,
    )
    .action(async () => {
      process.exitCode = await portsCommand({ out: process.stdout });
    });
}
