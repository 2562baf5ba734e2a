import { z } from 'zod';

/**
 * Top-level `http:` — the status page, /api/status, /api/events and /metrics. Kept apart from
 * schema.ts so the one network-facing surface of the agent is reviewed in one place.
 */

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:8080';

/** "host:port" or "[v6]:port"; the host is what the server binds to. */
export function parseListen(listen: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(listen);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] ?? m[2]) as string, port };
}

/** Only these hosts keep the server unreachable from the network, so only these may go without a token. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export const httpSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    listen: z
      .string()
      .refine((s) => parseListen(s) !== null, { message: 'expected host:port, e.g. 127.0.0.1:8080' })
      .default(DEFAULT_HTTP_LISTEN)
      .meta({ description: 'Address of the status page and /metrics; beyond loopback a token is required' }),
    token: z.string().min(16, { message: 'expected a token of at least 16 characters' }).optional().meta({
      description:
        'Bearer token (Authorization: Bearer … or ?token=); e.g. from the environment variable STATUS_TOKEN',
    }),
  })
  .superRefine((h, ctx) => {
    const addr = parseListen(h.listen);
    // Station PCs sit on plant networks: an open status page there would leak station data.
    if (h.enabled && addr && !isLoopback(addr.host) && h.token === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `listening on ${h.listen} (beyond loopback) requires http.token`,
      });
    }
  })
  .meta({ description: 'Status page, JSON status, server-sent events and Prometheus metrics' });

export type HttpConfig = z.output<typeof httpSchema>;
