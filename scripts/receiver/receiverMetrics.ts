import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CommitStats } from './pgSink.js';

/**
 * The PostgreSQL receiver's Prometheus metrics, on a registry of its own (no global default
 * registry), and the HTTP server that serves them on /metrics.
 */
export class ReceiverMetrics {
  readonly registry = new Registry();
  readonly messages = new Counter({
    name: 'receiver_messages_total',
    help: 'MQTT messages received, by topic kind (readings, aggregates, events, resend)',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly malformed = new Counter({
    name: 'receiver_messages_malformed_total',
    help: 'Messages dropped (and acknowledged) because they could not be read',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly rows = new Counter({
    name: 'receiver_rows_written_total',
    help: 'Rows new to the database (aggregates: inserted or replaced by a newer version)',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'receiver_duplicates_dropped_total',
    help: 'Rows already in the database (at-least-once repeats, resends) or older than what is there',
    registers: [this.registry],
  });
  readonly writeFailures = new Counter({
    name: 'receiver_write_failures_total',
    help: 'Database writes that failed; their messages were not acknowledged and come again',
    registers: [this.registry],
  });
  readonly gapsOpen = new Gauge({
    name: 'receiver_gaps_open',
    help: 'Open seq gaps over all streams, as of the last gap check (set by the gap-check leader)',
    registers: [this.registry],
  });
  readonly gapLeader = new Gauge({
    name: 'receiver_gap_check_leader',
    help: '1 while this receiver holds the gap-check lock',
    registers: [this.registry],
  });
  readonly resends = new Counter({
    name: 'receiver_resends_asked_total',
    help: 'resend commands published to stations',
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'receiver_commit_seconds',
    help: 'Time of one group commit (every message waiting for it)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly commitMessages = new Histogram({
    name: 'receiver_commit_messages',
    help: 'MQTT messages per group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  commit(s: CommitStats): void {
    this.commitSeconds.observe(s.seconds);
    this.commitMessages.observe(s.messages);
  }

  /** Serves /metrics on host:port; resolves with the bound port (0 asks for a free one). */
  async serve(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    const address = server.address();
    return {
      port: typeof address === 'object' && address !== null ? address.port : port,
      close: () => new Promise((r) => server.close(() => r())),
    };
  }
}
