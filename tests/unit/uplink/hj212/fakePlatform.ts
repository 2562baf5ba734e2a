import { EventEmitter } from 'node:events';
import { type CodecOptions, encodeMessage } from '../../../../drivers/hj212/codec.js';
import type { DataSegment } from '../../../../drivers/hj212/dataSegment.js';
import { dataAnswer, notificationAnswer } from '../../../../drivers/hj212/messages.js';
import { Hj212StreamDecoder } from '../../../../drivers/hj212/streamDecoder.js';

/** Stands in for a net.Socket: records what is written, lets the test push bytes and close it. */
export class FakeSocket extends EventEmitter {
  readonly written: Buffer[] = [];
  destroyed = false;
  onWrite: ((b: Buffer) => void) | null = null;

  write(buf: Buffer, cb?: (err?: Error | null) => void): boolean {
    if (this.destroyed) {
      if (cb) queueMicrotask(() => cb(new Error('socket destroyed')));
      return false;
    }
    this.written.push(Buffer.from(buf));
    this.onWrite?.(buf);
    if (cb) queueMicrotask(() => cb(null));
    return true;
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    if (err) this.emit('error', err);
    this.emit('close');
    return this;
  }

  setKeepAlive(): this {
    return this;
  }
}

/**
 * The platform end of a FakeSocket: decodes every frame the station writes (with the link's codec,
 * so a key change is seen) and answers on request. `autoAck` answers 9014/9013 at once.
 */
export class FakePlatform {
  readonly frames: DataSegment[] = [];
  readonly raw: Buffer[] = [];
  autoAck = false;
  private decoder: Hj212StreamDecoder;

  constructor(
    readonly socket: FakeSocket,
    readonly codec: CodecOptions = {},
  ) {
    this.decoder = new Hj212StreamDecoder(codec);
    socket.onWrite = (buf) => {
      this.raw.push(Buffer.from(buf));
      for (const ev of this.decoder.push(buf)) {
        if (ev.kind !== 'frame') throw new Error(`station sent a bad frame: ${ev.rejection.detail}`);
        this.frames.push(ev.segment);
        if (this.autoAck && (ev.segment.flag & 1) === 1) this.ackOf(ev.segment);
      }
    };
  }

  /** Sends a segment to the station. */
  send(seg: DataSegment): void {
    for (const f of encodeMessage(seg, this.codec)) this.socket.emit('data', f);
  }

  sendRaw(bytes: Buffer): void {
    this.socket.emit('data', bytes);
  }

  ackOf(seg: DataSegment): void {
    this.send(
      seg.cn === '9015' || seg.cn === '1014' ? notificationAnswer(seg, '2025') : dataAnswer(seg, '2025'),
    );
  }

  uploads(cn = '2011'): DataSegment[] {
    return this.frames.filter((f) => f.cn === cn);
  }
}
