import { SerialPort } from 'serialport';

/**
 * The listener's view of its serial port: bytes in, and close. There is no write here, on purpose:
 * a passive listener on a line that another master polls must never put a byte on it (a single
 * byte can collide with the logger's traffic). The SerialPort object stays inside this module's
 * closure, so no code path above it can write, whatever it is handed.
 */
export interface ListenPort {
  on(event: 'data', listener: (chunk: Buffer) => void): void;
  /** The port went away (unplugged adapter, pty closed) or close() was called. */
  on(event: 'close', listener: (err?: Error) => void): void;
  close(): Promise<void>;
}

export interface ListenPortSettings {
  path: string;
  baudRate: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
}

/** Opens the device for listening; rejects with the OS's error when it cannot. */
export function openListenPort(settings: ListenPortSettings): Promise<ListenPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort(
      {
        path: settings.path,
        baudRate: settings.baudRate,
        parity: settings.parity ?? 'none',
        dataBits: settings.dataBits ?? 8,
        stopBits: settings.stopBits ?? 1,
        autoOpen: true,
        // Opening must not disturb the line either: do not toggle the modem lines.
        hupcl: false,
      },
      (err) => {
        if (err) {
          reject(err);
          return;
        }
        resolve(wrap(port));
      },
    );
  });
}

function wrap(port: SerialPort): ListenPort {
  function on(event: 'data', listener: (chunk: Buffer) => void): void;
  function on(event: 'close', listener: (err?: Error) => void): void;
  function on(event: 'data' | 'close', listener: (arg: Buffer & Error) => void): void {
    port.on(event, listener);
  }
  return {
    on,
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) {
          resolve();
          return;
        }
        port.close(() => resolve());
      }),
  };
}
