import type { Dlt645Transport } from './client.js';

/**
 * A Dlt645Transport over any byte stream that delivers received bytes through one callback and
 * writes through one function (a serial port, drivers/serial's ByteConnection, a TCP socket):
 * hand `receive` to the stream's data handler and the client's listeners get every chunk.
 */
export interface LineTransport {
  transport: Dlt645Transport;
  receive(chunk: Uint8Array): void;
}

export function createLineTransport(write: (bytes: Uint8Array) => Promise<void>): LineTransport {
  const listeners = new Set<(chunk: Uint8Array) => void>();
  return {
    transport: {
      write,
      onData(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    receive(chunk) {
      for (const l of listeners) l(chunk);
    },
  };
}
