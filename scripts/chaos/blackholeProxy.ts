import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between the agent and the broker that can blackhole the path: while on, no byte is
 * forwarded in either direction and no socket is closed, as when a router or a mobile link silently
 * drops packets. Neither end gets a FIN or RST; the agent can only notice through its MQTT keepalive.
 *
 * Bytes sent during the blackhole are held, not thrown away, and flushed when the path heals: that is
 * what TCP retransmission does for a connection that outlived the outage. A close seen during the
 * blackhole reaches the other end only at the heal (the FIN was dropped too). A connection opened
 * during the blackhole is accepted here (our listener is local) but reaches the broker only at the
 * heal, like a SYN retransmitted until the path is back.
 */
export interface BlackholeProxy {
  readonly port: number;
  readonly url: string;
  blackhole(): void;
  heal(): void;
  /** Harness times at which clients connected: a reconnect during a blackhole means the agent noticed. */
  readonly connections: number[];
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  broker: Socket | null;
  toBroker: Buffer[];
  toClient: Buffer[];
  clientClosed: boolean;
  brokerClosed: boolean;
}

export async function startBlackholeProxy(brokerPort: number, now: () => number): Promise<BlackholeProxy> {
  const pairs = new Set<Pair>();
  const connections: number[] = [];
  let holed = false;

  const connectBroker = (pair: Pair) => {
    const broker = netConnect(brokerPort, '127.0.0.1');
    pair.broker = broker;
    broker.on('data', (chunk: Buffer) => {
      if (holed) pair.toClient.push(chunk);
      else pair.client.write(chunk);
    });
    broker.on('error', () => {});
    broker.on('close', () => {
      pair.brokerClosed = true;
      if (!holed) finish(pair);
    });
    flush(pair);
  };

  const flush = (pair: Pair) => {
    for (const b of pair.toBroker.splice(0)) pair.broker?.write(b);
    for (const b of pair.toClient.splice(0)) pair.client.write(b);
  };

  const finish = (pair: Pair) => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.broker?.destroy();
  };

  const server: Server = createServer((client) => {
    connections.push(now());
    const pair: Pair = {
      client,
      broker: null,
      toBroker: [],
      toClient: [],
      clientClosed: false,
      brokerClosed: false,
    };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => {
      if (holed || pair.broker === null) pair.toBroker.push(chunk);
      else pair.broker.write(chunk);
    });
    client.on('error', () => {});
    client.on('close', () => {
      pair.clientClosed = true;
      if (!holed) finish(pair);
    });
    if (!holed) connectBroker(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    connections,
    blackhole() {
      holed = true;
    },
    heal() {
      holed = false;
      for (const pair of [...pairs]) {
        if (pair.broker === null && !pair.clientClosed) {
          connectBroker(pair);
          continue;
        }
        flush(pair);
        if (pair.clientClosed || pair.brokerClosed) {
          // Let the held bytes go out before the close that followed them.
          pair.broker?.end();
          pair.client.end();
          pairs.delete(pair);
        }
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) finish(pair);
        server.close(() => resolve());
      }),
  };
}
