import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy between MQTT clients and a broker that can drop PUBLISH packets in the broker → client
 * direction: a message "lost at the broker side" for one subscriber, the kind of gap a receiver must
 * detect by seq and close with `resend`. Client → broker bytes pass untouched.
 */
export interface DropProxy {
  port: number;
  url: string;
  /** Topics of the PUBLISH packets dropped so far. */
  readonly dropped: string[];
  close(): Promise<void>;
}

/** `drop(topic, n)` is asked for the n-th PUBLISH (from 1) of each topic; true drops it. */
export async function startDropProxy(
  brokerPort: number,
  drop: (topic: string, n: number) => boolean,
): Promise<DropProxy> {
  const dropped: string[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const broker = netConnect(brokerPort, '127.0.0.1');
    sockets.add(client).add(broker);
    const end = () => {
      client.destroy();
      broker.destroy();
    };
    client.on('error', end).on('close', end);
    broker.on('error', end).on('close', end);
    client.pipe(broker);
    let pending = Buffer.alloc(0);
    broker.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const packet = nextPacket(pending);
        if (packet === null) break;
        pending = pending.subarray(packet.length);
        const bytes = packet.bytes;
        if (bytes[0]! >> 4 === 3) {
          const topicLen = bytes.readUInt16BE(packet.headerLength);
          const topic = bytes.toString('utf8', packet.headerLength + 2, packet.headerLength + 2 + topicLen);
          const n = (counts.get(topic) ?? 0) + 1;
          counts.set(topic, n);
          if (drop(topic, n)) {
            dropped.push(topic);
            continue;
          }
        }
        client.write(bytes);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One complete MQTT packet at the start of `buf`, or null when more bytes are needed. */
function nextPacket(buf: Buffer): { bytes: Buffer; length: number; headerLength: number } | null {
  if (buf.length < 2) return null;
  let remaining = 0;
  let multiplier = 1;
  let i = 1;
  for (;;) {
    if (i >= buf.length) return null;
    const b = buf[i]!;
    remaining += (b & 0x7f) * multiplier;
    multiplier *= 128;
    i++;
    if ((b & 0x80) === 0) break;
  }
  const length = i + remaining;
  if (buf.length < length) return null;
  return { bytes: buf.subarray(0, length), length, headerLength: i };
}
