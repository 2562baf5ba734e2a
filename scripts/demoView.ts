import stringWidth from 'string-width';
import type { AgentStatus } from '../agent/app/stationAgent.js';
import { ZonedTime } from '../agent/core/zonedTime.js';

interface ReadingMessage {
  seq: number;
  ts: string;
  device: string;
  channel: string;
  value: number | null;
  unit: string | null;
  flag: string;
}

interface Deps {
  station: string;
  /** The station's time zone: times are shown as the station's wall clock, like the status page. */
  timezone: string;
  /** The agent's status page and the embedded broker, shown in the header so they stay on screen. */
  statusUrl: string;
  brokerUrl: string;
  status: () => AgentStatus;
  out: NodeJS.WriteStream;
}

/** The demo's console view of what arrives at the broker, redrawn once a second. */
export class DemoView {
  private readonly deps: Deps;
  private readonly last = new Map<string, ReadingMessage>();
  private readonly arrivals: number[] = [];
  private received = 0;
  private maxSeq = 0;
  private stationState = '?';
  private timer: NodeJS.Timeout | undefined;

  constructor(deps: Deps) {
    this.deps = deps;
  }

  onMessage(topic: string, payload: Buffer): void {
    if (topic.endsWith('/status')) {
      this.stationState = payload.toString();
      return;
    }
    if (!topic.endsWith('/readings')) return;
    let batch: { readings?: ReadingMessage[] };
    try {
      batch = JSON.parse(payload.toString()) as { readings?: ReadingMessage[] };
    } catch {
      return;
    }
    const now = Date.now();
    for (const r of batch.readings ?? []) {
      this.received++;
      this.arrivals.push(now);
      this.maxSeq = Math.max(this.maxSeq, r.seq);
      this.last.set(`${r.device}/${r.channel}`, r);
    }
  }

  start(): void {
    this.timer = setInterval(() => this.render(), 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private render(): void {
    const now = Date.now();
    while (this.arrivals.length > 0 && (this.arrivals[0] ?? 0) < now - 5000) this.arrivals.shift();
    const rate = this.arrivals.length / 5;
    const status = this.deps.status();
    const lines: string[] = [];
    lines.push(`station-agent demo — station ${this.deps.station} (${this.stationState})   Ctrl-C to stop`);
    lines.push(`status page: ${this.deps.statusUrl}   broker: ${this.deps.brokerUrl}`);
    lines.push('');
    lines.push(
      `upstream: ${rate.toFixed(1)} readings/s, ${this.received} received, last seq ${this.maxSeq}; stored up to seq ${status.lastSeq}`,
    );
    for (const u of status.uplinks) {
      const age = u.oldestUnsentTs === null ? '-' : `${((now - u.oldestUnsentTs) / 1000).toFixed(1)} s`;
      lines.push(
        `uplink ${u.id}: ${u.connected ? 'connected' : 'DISCONNECTED'}, backlog ${u.backlog}, oldest unsent ${age}`,
      );
      // Why it is not connected: the issue-13 demo sat at DISCONNECTED with no reason anywhere.
      if (!u.connected && u.lastError) lines.push(`  last error: ${u.lastError.message}`);
    }
    lines.push('');
    const zone = ZonedTime.of(this.deps.timezone);
    lines.push(`device     channel  value          flag  time (${this.deps.timezone})`);
    for (const [key, r] of [...this.last.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const [device = '', channel = ''] = key.split('/');
      // The value as the agent sent it (a float32 already as its shortest decimal, docs/values.md).
      const value = r.value === null ? '—' : `${r.value} ${r.unit ?? ''}`;
      const local = zone.format(Date.parse(r.ts)).slice(0, 19).replace('T', ' ');
      lines.push(
        `${padTo(device, 10)} ${padTo(channel, 8)} ${padTo(value, 14)} ${r.flag.padEnd(5)} ${local}`,
      );
    }
    lines.push('');
    for (const d of status.devices) {
      lines.push(`device ${d.id}: ${d.polls} polls, ${d.failures} failed, ${d.missedSlots} missed slots`);
    }
    // Clear the screen only on a terminal; piped output gets plain successive frames.
    const clear = this.deps.out.isTTY ? '\x1b[2J\x1b[H' : '\n';
    this.deps.out.write(`${clear}${lines.join('\n')}\n`);
  }
}

/** Pads by terminal columns, so units such as µS/cm and Chinese names keep the columns straight. */
function padTo(text: string, columns: number): string {
  return text + ' '.repeat(Math.max(0, columns - stringWidth(text)));
}
