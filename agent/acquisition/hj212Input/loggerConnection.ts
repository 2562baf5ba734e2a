import type { Socket } from 'node:net';
import { encodeFrame } from '../../../drivers/hj212/codec.js';
import type { CodecOptions } from '../../../drivers/hj212/codecOptions.js';
import { checkAddressing } from '../../../drivers/hj212/commands.js';
import type { DataSegment } from '../../../drivers/hj212/dataSegment.js';
import { decodeFrame } from '../../../drivers/hj212/receive.js';
import type { RejectReason } from '../../../drivers/hj212/rejection.js';
import { Hj212StreamDecoder, type StreamEvent } from '../../../drivers/hj212/streamDecoder.js';
import { type HandlerContext, handleFrame, loggerOf } from './uploadHandler.js';

/** Rejections that a logger's SM4 key may turn into a frame (the CP was ciphertext). */
const MAYBE_ENCRYPTED: readonly RejectReason[] = ['bad-crc', 'bad-cp', 'bad-encoding'];

/**
 * One logger's TCP connection: cuts the stream into frames, decrypts with the key of the MN the plain
 * header names, hands each frame to handleFrame one at a time (in order, so a re-send after a
 * callback failure cannot overtake), and writes the answers.
 */
export class LoggerConnection {
  /** Read by the decoder at each frame: set to the key of the last logger seen on this connection. */
  private readonly codec: CodecOptions = {};
  private readonly decoder = new Hj212StreamDecoder(this.codec);
  private queue: Promise<void> = Promise.resolve();
  /** When bytes last arrived (the server's clock): a half-open connection stays silent for good. */
  lastDataAt: number;

  /**
   * `onLogger` is told of each configured logger (right MN and PW) a frame on this connection comes
   * from, before the frame is handled: the server closes that logger's older, silent connections.
   */
  constructor(
    readonly socket: Socket,
    private readonly ctx: HandlerContext,
    private readonly codecOf: (mn: string) => CodecOptions | undefined,
    private readonly now: () => number = Date.now,
    private readonly onLogger: (device: string, conn: LoggerConnection) => void = () => {},
  ) {
    this.lastDataAt = now();
    socket.on('data', (chunk) => {
      this.lastDataAt = this.now();
      this.enqueue(this.decoder.push(chunk));
    });
    socket.on('end', () => this.enqueue(this.decoder.end()));
    socket.on('error', () => {
      // A reset by the logger ends the connection like a close; it reconnects and re-sends.
    });
  }

  /** Resolves once every frame received so far was handled. */
  drained(): Promise<void> {
    return this.queue;
  }

  private enqueue(events: StreamEvent[]): void {
    if (events.length === 0) return;
    this.queue = this.queue.then(async () => {
      for (const ev of events) await this.onEvent(ev);
    });
  }

  private async onEvent(ev: StreamEvent): Promise<void> {
    let seg: DataSegment | undefined;
    if (ev.kind === 'frame') {
      seg = ev.segment;
    } else {
      const mn = ev.rejection.header?.mn;
      const opts = mn === undefined ? undefined : this.codecOf(mn);
      const retried =
        opts?.sm4 !== undefined && MAYBE_ENCRYPTED.includes(ev.rejection.reason)
          ? decodeFrame(ev.raw, opts)
          : undefined;
      if (retried?.ok) {
        seg = retried.segment;
      } else {
        this.ctx.counters.refuse(ev.rejection.reason, { mn, detail: ev.rejection.detail });
        return;
      }
    }
    const opts = this.codecOf(seg.mn);
    if (opts?.sm4 !== undefined) this.codec.sm4 = opts.sm4;
    const logger = loggerOf(this.ctx.loggers, seg.mn);
    if (logger !== undefined && checkAddressing(seg, { pw: logger.pw }) === undefined) {
      this.onLogger(logger.device, this);
    }
    const answer = await handleFrame(seg, this.ctx);
    if (answer !== undefined && !this.socket.destroyed) {
      // Answers (9011/9013/9014) are never encrypted CNs: the key only matters to the logger's frames.
      this.socket.write(encodeFrame(answer));
    }
  }
}

/** The codec options (SM4 key) of the logger an MN names, for decoding its frames. */
export function codecLookup(ctx: HandlerContext, keys: ReadonlyMap<string, CodecOptions>) {
  return (mn: string): CodecOptions | undefined => {
    const logger = loggerOf(ctx.loggers, mn);
    return logger === undefined ? undefined : keys.get(logger.device);
  };
}
