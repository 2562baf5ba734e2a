import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type PortInfo, portsCommand, scanDevDirectory } from '../../../agent/cli/portsCommand.js';
import { renderTable } from '../../../agent/cli/textTable.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(list: () => Promise<PortInfo[]>, scanDev: () => Promise<PortInfo[]>) {
  let out = '';
  const code = await portsCommand({ out: { write: (t: string) => (out += t) } }, { list, scanDev });
  return { code, out };
}

describe('ports', () => {
  it('prints what serialport lists, with USB ids and the by-id name', async () => {
    const { code, out } = await run(
      async () => [
        {
          path: '/dev/ttyUSB0',
          manufacturer: 'FTDI',
          serialNumber: 'A10K3J2',
          vendorId: '0403',
          productId: '6001',
          byId: '/dev/serial/by-id/usb-FTDI_FT232R-if00-port0',
        },
      ],
      async () => {
        throw new Error('not asked');
      },
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^path\s+manufacturer\s+serial number\s+vid:pid\s+by-id$/m);
    expect(out).toMatch(/^\/dev\/ttyUSB0\s+FTDI\s+A10K3J2\s+0403:6001\s+\/dev\/serial\/by-id\/usb-FTDI/m);
    expect(out).not.toContain('/dev instead');
  });

  it('falls back to /dev when list() fails, and says so', async () => {
    const { code, out } = await run(
      async () => {
        throw new Error('spawn udevadm ENOENT');
      },
      async () => [{ path: '/dev/ttyS0' }, { path: '/dev/ttyUSB0', byId: '/dev/serial/by-id/usb-x' }],
    );
    expect(code).toBe(0);
    expect(out).toContain(
      'serialport could not list the ports (spawn udevadm ENOENT): looked in /dev instead',
    );
    expect(out).toMatch(/^\/dev\/ttyUSB0\s+\/dev\/serial\/by-id\/usb-x$/m);
    expect(out).toContain('/dev/ttyS* exist whether or not');
  });

  it('falls back when list() finds nothing; never fails, even when /dev cannot be read', async () => {
    const { code, out } = await run(
      async () => [],
      async () => {
        throw new Error('EACCES');
      },
    );
    expect(code).toBe(0);
    expect(out).toContain('serialport found no port');
    expect(out).toContain('no serial ports found');
  });

  it('scanDevDirectory finds tty devices and resolves by-id links', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sa-dev-'));
    dirs.push(root);
    const dev = join(root, 'dev');
    const byId = join(dev, 'serial', 'by-id');
    mkdirSync(byId, { recursive: true });
    for (const n of ['ttyS10', 'ttyS2', 'ttyUSB0', 'ttyACM0', 'tty0', 'null', 'ttyAMA0'])
      writeFileSync(join(dev, n), '');
    symlinkSync('../../ttyUSB0', join(byId, 'usb-FTDI-if00-port0'));
    symlinkSync('../../ttyAMA0', join(byId, 'platform-uart'));
    symlinkSync('../../gone', join(byId, 'usb-dangling'));
    const ports = await scanDevDirectory(dev, byId);
    expect(ports.map((p) => p.path)).toEqual([
      join(dev, 'ttyACM0'),
      join(dev, 'ttyS2'),
      join(dev, 'ttyS10'),
      join(dev, 'ttyUSB0'),
      join(dev, 'ttyAMA0'),
      join(byId, 'usb-dangling'),
    ]);
    expect(ports.find((p) => p.path.endsWith('ttyUSB0'))!.byId).toBe(join(byId, 'usb-FTDI-if00-port0'));
  });
});

describe('renderTable', () => {
  it('pads columns, rules the header, drops columns empty in every row', () => {
    const text = renderTable(
      ['a', 'empty', 'long header'],
      [
        ['xyz', '', '1'],
        ['q', '', ''],
      ],
    );
    expect(text).toBe(['a    long header', '---  -----------', 'xyz  1', 'q'].join('\n'));
  });
});
