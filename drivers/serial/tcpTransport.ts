import { Socket } from 'node:net';
import type { Clock } from '../../agent/core/clock.js';
import type { ByteTransport } from './byteTransport.js';

/**
 * A serial server's TCP port (a "transparent" or "raw" serial-to-Ethernet converter): bytes written
 * go out on its RS-485 side unchanged, answers come back the same way. No framing of its own, so the
 * line above does all the RTU timing and checking, exactly as on a local port.
 */
export interface TcpTransportOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  clock: Clock;
}

export function tcpTransport(opts: TcpTransportOptions): ByteTransport {
  const { host, port, clock } = opts;
  const where = `${host}:${port}`;
  return {
    description: `tcp ${where}`,
    open(handlers) {
      return new Promise((resolve, reject) => {
        const socket = new Socket();
        let connected = false;
        let closedByUs = false;
        let lost = false;
        let lastError = '';
        const timer = clock.setTimeout(() => {
          socket.destroy(new Error(`connect timed out after ${opts.connectTimeoutMs}ms`));
        }, opts.connectTimeoutMs);
        socket.on('error', (err) => {
          lastError = err.message;
        });
        socket.on('data', (chunk: Buffer) => {
          if (!closedByUs && !lost) handlers.onData(chunk);
        });
        socket.once('close', () => {
          clock.clearTimeout(timer);
          if (!connected) {
            reject(
              new Error(`cannot connect to serial server ${where}: ${lastError || 'connection closed'}`),
            );
            return;
          }
          if (closedByUs || lost) return;
          lost = true;
          handlers.onLost(
            lastError ? `connection lost: ${lastError}` : 'connection closed by the serial server',
          );
        });
        socket.once('connect', () => {
          clock.clearTimeout(timer);
          connected = true;
          socket.setNoDelay(true);
          // A gateway that reboots leaves a half-open connection; keepalive eventually notices.
          socket.setKeepAlive(true, 10_000);
          resolve({
            write: (data) =>
              new Promise<void>((res, rej) => {
                socket.write(data, (err) => (err ? rej(err) : res()));
              }),
            discardInput: () => Promise.resolve(),
            present: () => Promise.resolve(!socket.destroyed),
            close: () =>
              new Promise<void>((res) => {
                closedByUs = true;
                if (socket.destroyed) return res();
                socket.once('close', () => res());
                socket.destroy();
              }),
          });
        });
        try {
          socket.connect({ host, port });
        } catch (err) {
          socket.destroy(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
  };
}
