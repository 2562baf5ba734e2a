import { SerialPort } from 'serialport';
import { createMeterLine, type MeterLine } from './meterLine.js';
import type { SimMeterOptions } from './simMeter.js';

/**
 * The simulated meter line on a serial device path (a real RS-485 adapter, or the simulator end of
 * a socat pty pair). Default line settings are DL/T 645's common ones: 2400 baud, 8E1.
 */

export interface SerialMeterLineOptions {
  path: string;
  meters: SimMeterOptions[];
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  clock?: { now(): number };
}

export interface SerialMeterLine extends MeterLine {
  readonly path: string;
  stop(): Promise<void>;
}

export async function startSerialMeterLine(opts: SerialMeterLineOptions): Promise<SerialMeterLine> {
  const port = new SerialPort({
    path: opts.path,
    baudRate: opts.baudRate ?? 2400,
    parity: opts.parity ?? 'even',
    dataBits: 8,
    stopBits: 1,
    autoOpen: false,
  });
  port.on('error', () => {}); // an unplugged pty ends the port; the master notices on its side
  const line = createMeterLine({
    meters: opts.meters,
    ...(opts.clock ? { clock: opts.clock } : {}),
    send: (bytes) => {
      if (port.isOpen) port.write(Buffer.from(bytes));
    },
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on('data', (chunk: Buffer) => line.receive(chunk));
  return {
    ...line,
    path: opts.path,
    stop: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
