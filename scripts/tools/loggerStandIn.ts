import { connect, type Socket } from 'node:net';
import { encodeMessage } from '../../drivers/hj212/codec.js';
import type { CodecOptions } from '../../drivers/hj212/codecOptions.js';
import { type Cp, parseCp } from '../../drivers/hj212/cp.js';
import { type Answer, dataUpload, readAnswer, type StationIdentity } from '../../drivers/hj212/messages.js';
import { createQnGenerator } from '../../drivers/hj212/qn.js';
import { Hj212StreamDecoder } from '../../drivers/hj212/streamDecoder.js';

/**
 * A certified data logger (数采仪) stand-in: sends 2011/2051/2061/2031 uploads to a platform address
 * (the agent's HJ 212 input) with the project's codec, as a station, and reads the answers. Not the
 * agent's uplink: no store, no backlog, just the frames a logger would send, re-sends included.
 */

export interface UploadSpec {
  cn: string;
  /** DataTime and the factors; plain CP fields are ignored. */
  cp: Cp;
}

/** `2011:DataTime=20261207120000;w01018-Rtd=25.5,w01018-Flag=N` (the CP text as on the wire). */
export function parseUploadSpec(text: string): UploadSpec {
  const m = /^(\d{4}):(.*)$/s.exec(text);
  if (m === null) throw new Error(`upload '${text}' is not <CN>:<CP text>`);
  const cp = parseCp(m[2]!);
  if (!cp.ok) throw new Error(`upload '${text}': ${cp.detail}`);
  if (cp.value.dataTime === undefined) throw new Error(`upload '${text}' has no DataTime`);
  return { cn: m[1]!, cp: cp.value };
}

export interface StandInOptions {
  host: string;
  port: number;
  identity: StationIdentity;
  codec: CodecOptions;
  uploads: UploadSpec[];
  /** Indices (0-based) of uploads sent again at the end, byte for byte (same QN), as after a reconnect. */
  resend: number[];
  /** Ask for a 9014 (Flag bit 0). */
  ack: boolean;
  /** How long to wait for each answer before going on. */
  answerTimeoutMs: number;
  /** Called for each frame sent and answer read, in order. */
  report(line: StandInEvent): void;
}

export type StandInEvent =
  | { kind: 'sent'; index: number; cn: string; qn: string; resend: boolean; frames: number }
  | { kind: 'answer'; answer: Answer }
  | { kind: 'unanswered'; index: number; qn: string }
  | { kind: 'other'; cn: string; qn: string };

export interface StandInSummary {
  sent: number;
  answered9014: number;
  refused: number;
  unanswered: number;
}

export async function runStandIn(opts: StandInOptions): Promise<StandInSummary> {
  const socket = await open(opts.host, opts.port);
  const decoder = new Hj212StreamDecoder(opts.codec);
  const waiting = new Map<string, (a: Answer) => void>();
  const summary: StandInSummary = { sent: 0, answered9014: 0, refused: 0, unanswered: 0 };
  socket.on('data', (chunk) => {
    for (const ev of decoder.push(chunk)) {
      if (ev.kind !== 'frame') continue;
      const answer = readAnswer(ev.segment);
      if (answer === undefined) {
        opts.report({ kind: 'other', cn: ev.segment.cn, qn: ev.segment.qn });
        continue;
      }
      opts.report({ kind: 'answer', answer });
      if (answer.cn === '9014') summary.answered9014++;
      else if (answer.cn === '9011') summary.refused++;
      waiting.get(answer.qn)?.(answer);
    }
  });
  const qn = createQnGenerator({ clock: { now: Date.now } });
  const sentBytes: { qn: string; bytes: Buffer[] }[] = [];

  const send = async (index: number, qnText: string, frames: Buffer[], resend: boolean) => {
    const answered = opts.ack ? waitFor(waiting, qnText, opts.answerTimeoutMs) : Promise.resolve(true);
    for (const f of frames) socket.write(f);
    summary.sent++;
    opts.report({
      kind: 'sent',
      index,
      cn: opts.uploads[index]!.cn,
      qn: qnText,
      resend,
      frames: frames.length,
    });
    if (!(await answered)) {
      summary.unanswered++;
      opts.report({ kind: 'unanswered', index, qn: qnText });
    }
  };

  for (const [index, u] of opts.uploads.entries()) {
    const seg = dataUpload(opts.identity, {
      cn: u.cn,
      qn: qn.next(),
      dataTime: u.cp.dataTime!,
      factors: u.cp.factors,
      ack: opts.ack,
    });
    const frames = encodeMessage(seg, { ...opts.codec, nextQn: () => qn.next() });
    sentBytes.push({ qn: seg.qn, bytes: frames });
    await send(index, seg.qn, frames, false);
  }
  for (const index of opts.resend) {
    const s = sentBytes[index];
    if (s === undefined) throw new Error(`--resend ${index + 1}: there is no such upload`);
    await send(index, s.qn, s.bytes, true);
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  return summary;
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** True when an answer with this QN arrives within the timeout (a split upload: its first part's QN). */
function waitFor(waiting: Map<string, (a: Answer) => void>, qn: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      waiting.delete(qn);
      resolve(false);
    }, timeoutMs);
    waiting.set(qn, () => {
      clearTimeout(timer);
      waiting.delete(qn);
      resolve(true);
    });
  });
}
