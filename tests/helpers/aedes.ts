import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { freePort } from '../../scripts/support/freePort.js';

/**
 * An aedes broker in the test process on a free loopback port: the MQTT 3.1.1-only broker (aedes 1.x
 * answers an MQTT 5 CONNECT with CONNACK return code 1), standing in for the 3.1.1 brokers many
 * platforms still run. Every message it accepts is recorded, across restarts, straight from the
 * broker, so a test sees what was delivered even while no subscriber happens to be connected.
 */
export interface AedesHandle {
  port: number;
  url: string;
  /** Every PUBLISH the broker accepted from a client (wills included), in order. */
  readonly published: { topic: string; payload: string; retain: boolean }[];
  /** Closes every connection and the listener: a broker going away (its memory is lost). */
  stop(): Promise<void>;
  /** A fresh broker on the same port (retained messages and sessions gone, as after a crash). */
  restart(): Promise<void>;
}

export async function startAedes(opts: { port?: number } = {}): Promise<AedesHandle> {
  const port = opts.port ?? (await freePort());
  const published: AedesHandle['published'] = [];
  let running: { broker: Aedes; server: Server; sockets: Set<Socket> } | null = null;

  const launch = async () => {
    const broker = await Aedes.createBroker();
    broker.on('publish', (packet, client) => {
      // client null: the broker's own messages ($SYS heartbeats).
      if (client === null || packet.topic.startsWith('$SYS')) return;
      published.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain });
    });
    const sockets = new Set<Socket>();
    const server = createServer(broker.handle);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    running = { broker, server, sockets };
  };

  const stop = async () => {
    const r = running;
    running = null;
    if (r === null) return;
    for (const s of r.sockets) s.destroy();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
    await new Promise<void>((resolve) => r.broker.close(() => resolve()));
  };

  await launch();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    published,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}
