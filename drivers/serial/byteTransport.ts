import { stat } from 'node:fs/promises';
import { SerialPort } from 'serialport';

/**
 * The byte stream under a SerialLine: a serial port, or a TCP socket to a serial server that
 * passes the line's bytes through. One `open()` gives one connection; a connection that is lost
 * is never reused (the line opens a new one), so a late event of an old port cannot touch a new one.
 */
export interface ByteTransport {
  /** For logs and errors: "serial /dev/ttyUSB0" or "tcp 10.0.0.5:4001". */
  readonly description: string;
  /** Rejects with an Error whose message is fit for an operator (names the port and the cause). */
  open(handlers: TransportHandlers): Promise<ByteConnection>;
}

export interface TransportHandlers {
  onData(chunk: Buffer): void;
  /** The connection is gone (unplugged, closed by the peer, I/O error). Called at most once. */
  onLost(reason: string): void;
}

export interface ByteConnection {
  write(data: Buffer): Promise<void>;
  /** Drops bytes received by the OS but not yet delivered (serial: tcflush). Never rejects. */
  discardInput(): Promise<void>;
  /**
   * Serial: false once the device path is gone or names another device (a USB adapter unplugged,
   * socat ended). Some drivers keep a dead port looking open; the line asks this every second.
   */
  present(): Promise<boolean>;
  /** Closes; never rejects; onLost is not called for a close we asked for. */
  close(): Promise<void>;
}

export interface SerialSettings {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

/** An operator-facing message for a failed open: a locked port names the port and what to do. */
export function describeOpenError(path: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/cannot lock port/i.test(msg)) {
    return `serial port ${path} is in use by another process (it is locked): stop the other program or configure another port`;
  }
  if (/no such file|ENOENT/i.test(msg))
    return `serial port ${path} does not exist (unplugged, or a wrong name?)`;
  if (/permission denied|EACCES/i.test(msg)) {
    return `no permission to open serial port ${path} (is the agent's user in the dialout group?)`;
  }
  return `cannot open serial port ${path}: ${msg}`;
}

/** Longest a close may take before we stop waiting for it. */
const CLOSE_WAIT_MS = 1000;

interface DeviceId {
  dev: number;
  ino: number;
  rdev: number;
}

async function deviceId(path: string): Promise<DeviceId | undefined> {
  try {
    const s = await stat(path); // follows a symlink (socat's link, /dev/serial/by-id/…) to the device
    return { dev: s.dev, ino: s.ino, rdev: s.rdev };
  } catch {
    return undefined;
  }
}

export function serialTransport(settings: SerialSettings): ByteTransport {
  const { path } = settings;
  return {
    description: `serial ${path}`,
    async open(handlers) {
      const port = new SerialPort({
        path,
        baudRate: settings.baudRate,
        parity: settings.parity,
        dataBits: settings.dataBits,
        stopBits: settings.stopBits,
        autoOpen: false,
        lock: true, // a second program on the same line would corrupt every transaction
      });
      let closedByUs = false;
      let lost = false;
      const lose = (reason: string) => {
        if (closedByUs || lost) return;
        lost = true;
        handlers.onLost(reason);
      };
      // Always listened to: an 'error' without a listener would crash the process.
      port.on('error', (err: Error) => lose(`port error: ${err.message}`));
      port.on('close', (err?: Error | null) => lose(err ? `port closed: ${err.message}` : 'port closed'));
      // A reader is attached from the start (flowing mode): the read loop is what notices an unplug.
      port.on('data', (chunk: Buffer) => {
        if (!closedByUs && !lost) handlers.onData(chunk);
      });
      await new Promise<void>((resolve, reject) => {
        port.open((err) =>
          err ? reject(new Error(describeOpenError(path, err), { cause: err })) : resolve(),
        );
      });
      const opened = await deviceId(path);

      return {
        write(data) {
          return new Promise<void>((resolve, reject) => {
            port.write(data, (err) => {
              if (err) {
                reject(err);
                lose(`write failed: ${err.message}`);
              } else resolve();
            });
          });
        },
        discardInput() {
          return new Promise<void>((resolve) => {
            if (!port.isOpen) return resolve();
            port.flush(() => resolve());
          });
        },
        async present() {
          const now = await deviceId(path);
          if (now === undefined || opened === undefined) return false;
          return now.dev === opened.dev && now.ino === opened.ino && now.rdev === opened.rdev;
        },
        close() {
          closedByUs = true;
          return new Promise<void>((resolve) => {
            if (!port.isOpen) return resolve();
            // A port whose device is gone may never call back: stopping must not hang on it.
            const t = setTimeout(resolve, CLOSE_WAIT_MS);
            port.close(() => {
              clearTimeout(t);
              resolve();
            });
          });
        },
      };
    },
  };
}
