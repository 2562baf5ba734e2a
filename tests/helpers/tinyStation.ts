import { connect, type Socket } from 'node:net';
import { type CodecOptions, encodeMessage } from '../../drivers/hj212/codec.js';
import type { DataSegment } from '../../drivers/hj212/dataSegment.js';
import { dataUpload, type StationIdentity } from '../../drivers/hj212/messages.js';
import { createQnGenerator } from '../../drivers/hj212/qn.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../drivers/hj212/streamDecoder.js';

/** Just enough of an HJ 212 station to talk to the platform: send segments, wait for what comes back. */
export class TinyStation {
  readonly received: DataSegment[] = [];
  /** The frames received as decoded, with the SM4 layout each came in. */
  readonly events: Extract<StreamEvent, { kind: 'frame' }>[] = [];
  private readonly decoder: Hj212StreamDecoder;
  private readonly waiters = new Set<() => void>();
  private readonly qn = createQnGenerator({ clock: { now: () => Date.now() } });

  private constructor(
    private readonly socket: Socket,
    public id: StationIdentity,
    public codec: CodecOptions,
  ) {
    this.decoder = new Hj212StreamDecoder(codec);
    socket.on('data', (chunk) => {
      for (const ev of this.decoder.push(chunk)) {
        if (ev.kind !== 'frame') continue;
        this.received.push(ev.segment);
        this.events.push(ev);
      }
      for (const w of this.waiters) w();
    });
  }

  static connect(port: number, id: StationIdentity, codec: CodecOptions = {}): Promise<TinyStation> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new TinyStation(socket, id, codec)));
      socket.once('error', reject);
    });
  }

  nextQn(): string {
    return this.qn.next();
  }

  send(seg: DataSegment): void {
    for (const f of encodeMessage(seg, { ...this.codec, nextQn: () => this.nextQn() })) this.socket.write(f);
  }

  sendRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  upload(ack = true, cn = '2011'): DataSegment {
    const seg = dataUpload(this.id, {
      cn,
      qn: this.nextQn(),
      dataTime: '20240601120000',
      factors: { w01018: { Rtd: '25.5', Flag: 'N' }, w21003: { Rtd: '0.8', Flag: 'N' } },
      ack,
    });
    this.send(seg);
    return seg;
  }

  waitFor(pred: (s: DataSegment) => boolean, timeoutMs = 3000): Promise<DataSegment> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(pred);
        if (found === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `station: nothing matched in ${timeoutMs} ms; got ${this.received.map((s) => s.cn).join(',')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
