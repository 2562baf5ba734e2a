import { hostname } from 'node:os';
import pg from 'pg';
import { DbReceiver } from './dbReceiver.js';
import { ReceiverMetrics } from './receiverMetrics.js';

/** Options of `receiver --postgres URL` (main.ts parses them). */
export interface PostgresCliOptions {
  url: string;
  postgres: string;
  prefix: string;
  station: string | undefined;
  share: string | undefined;
  clientId: string | undefined;
  connections: string | undefined;
  metrics: string | undefined;
  noGaps: boolean;
  gapGrace: string | undefined;
  resendRetry: string | undefined;
  resendMaxAsks: string | undefined;
}

/** Runs the PostgreSQL receiver until SIGINT/SIGTERM; exit 2 on bad options, 1 when it cannot start. */
export async function runPostgresReceiver(o: PostgresCliOptions): Promise<void> {
  const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);
  const connections = o.connections === undefined ? (o.share === undefined ? 1 : 4) : Number(o.connections);
  const grace = o.gapGrace === undefined ? 5000 : Number(o.gapGrace);
  if (!Number.isInteger(connections) || connections < 1 || connections > 64)
    usage('--connections must be 1..64');
  if (!Number.isFinite(grace) || grace < 0) usage('--gap-grace must be milliseconds ≥ 0');
  const retry = o.resendRetry === undefined ? Math.max(30_000, grace * 2) : Number(o.resendRetry);
  if (!Number.isFinite(retry) || retry < 100) usage('--resend-retry must be milliseconds ≥ 100');
  const maxAsks = o.resendMaxAsks === undefined ? 10 : Number(o.resendMaxAsks);
  if (!Number.isInteger(maxAsks) || maxAsks < 1) usage('--resend-max-asks must be an integer ≥ 1');
  if (connections > 1 && o.share === undefined) {
    usage('--connections above 1 needs --share (the connections form a shared-subscription group)');
  }
  const metrics = new ReceiverMetrics();
  const pool = new pg.Pool({ connectionString: o.postgres, max: connections + 2 });
  // An idle pooled connection that breaks (server restart) must not kill the process.
  pool.on('error', (err) => log(`postgres: ${err.message}`));
  const receiver = new DbReceiver({
    url: o.url,
    pool,
    topicPrefix: o.prefix,
    station: o.station ?? '+',
    ...(o.share !== undefined ? { share: o.share } : {}),
    connections,
    // Stable by default: a restarted receiver on this host resumes its sessions and gets what the
    // broker kept for it. Two receivers on one host need their own --client-id.
    clientId: o.clientId ?? `receiver-${hostname()}`,
    sessionExpiry: 24 * 3600,
    gapCheck: !o.noGaps,
    gapGraceMs: grace,
    resendRetryMs: retry,
    resendMaxAsks: maxAsks,
    gapIntervalMs: 1000,
    metrics,
    log,
  });
  let server: { port: number; close(): Promise<void> } | null = null;
  try {
    await receiver.start();
    if (o.metrics !== undefined) {
      const [host, port] = splitHostPort(o.metrics);
      server = await metrics.serve(host, port);
      log(`metrics on http://${host}:${server.port}/metrics`);
    }
  } catch (err) {
    process.stderr.write(`receiver: ${err instanceof Error ? err.message : String(err)}\n`);
    await pool.end().catch(() => undefined);
    process.exit(1);
  }
  log(`receiving ${o.prefix}/${o.station ?? '+'}/{readings,aggregates,events} into PostgreSQL`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (async () => {
        await receiver.stop();
        await server?.close();
        await pool.end();
        process.exit(0);
      })();
    });
  }
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  const host = i < 0 ? '127.0.0.1' : s.slice(0, i);
  const port = Number(i < 0 ? s : s.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--metrics ${s}: expected [host:]port`);
  return [host, port];
}

function usage(problem: string): never {
  process.stderr.write(`receiver: ${problem}\n`);
  process.exit(2);
}
