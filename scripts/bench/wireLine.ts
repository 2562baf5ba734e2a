import { SerialPort } from 'serialport';
import { startRtuSimulator } from '../simulator/rtuServer.js';

/**
 * A simulated RS-485 line that costs real wire time, for workload 2 (line efficiency). Run as its own
 * process between two socat pty pairs:
 *
 *   agent ⇄ pty A ⇄ [this line] ⇄ pty B ⇄ the RTU simulator (started here, on pty B's far end)
 *
 * A pty moves bytes at memory speed; this process delays them as a half-duplex 9600-baud line would:
 * - a request occupies the line for bytes × 11 bits / baud (8N1: start, 8 data, stop, plus one bit
 *   of inter-character slack, the usual 11-bit figure for Modbus RTU timing), then the slave needs
 *   3.5 characters of silence to know the frame ended, then its turnaround before it answers;
 * - the answer occupies the line for its bytes × 11 / baud and is handed to the master at its end.
 * The master's own 3.5-character gap before its next request is the agent's to keep (serialLine.ts).
 *
 * Timers fire late by up to a millisecond or so; the lateness is measured and reported (IPC message
 * {kind:'stats'}), so what belongs to the emulator is not charged to the agent.
 *
 * Arguments: <agent-side pty> <sim-side pty> <simulator's pty> <map file> <baud> <turnaround ms>
 */

const [agentSide, simSide, simPath, mapFile, baudText, turnaroundText] = process.argv.slice(2);
if (!agentSide || !simSide || !simPath || !mapFile || !baudText || !turnaroundText) {
  process.stderr.write('usage: wireLine <agent-side> <sim-side> <sim-path> <map> <baud> <turnaround-ms>\n');
  process.exit(2);
}
const baud = Number(baudText);
const turnaroundMs = Number(turnaroundText);
const charMs = (11 / baud) * 1000;

const stats = { frames: 0, lateMs: 0, maxLateMs: 0 };
let lineFreeAt = 0;

function open(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(err) : resolve(port))));
}

/** Runs `fn` at `at` (performance.now() time) and books how late the timer was. */
function at(when: number, fn: () => void): void {
  setTimeout(
    () => {
      const late = Math.max(0, performance.now() - when);
      stats.frames++;
      stats.lateMs += late;
      stats.maxLateMs = Math.max(stats.maxLateMs, late);
      fn();
    },
    Math.max(0, when - performance.now()),
  );
}

/** The bytes occupy the line from when it is free (or now) for their wire time; returns the end. */
function occupy(bytes: number): number {
  const start = Math.max(performance.now(), lineFreeAt);
  lineFreeAt = start + bytes * charMs;
  return lineFreeAt;
}

const sim = await startRtuSimulator({ mapFile, path: simPath, baudRate: baud });
const toAgent = await open(agentSide);
const toSim = await open(simSide);

toAgent.on('data', (chunk: Buffer) => {
  const end = occupy(chunk.length);
  at(end + 3.5 * charMs + turnaroundMs, () => toSim.write(chunk));
});
toSim.on('data', (chunk: Buffer) => {
  const end = occupy(chunk.length);
  at(end, () => toAgent.write(chunk));
});

process.on('message', (msg: { kind?: string }) => {
  if (msg?.kind === 'stats') process.send?.({ kind: 'stats', ...stats });
});
const shutdown = () => {
  void Promise.all([
    sim.stop(),
    new Promise((r) => toAgent.close(r)),
    new Promise((r) => toSim.close(r)),
  ]).finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdout.write(`wire line ready at ${baud} baud, turnaround ${turnaroundMs} ms\n`);
