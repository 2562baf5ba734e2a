import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_HTTP_LISTEN,
  httpSchema,
  isLoopback,
  parseListen,
} from '../../../agent/config/httpSchema.js';
import { silentLogger } from '../../../agent/core/log.js';
import { createAgentMetrics } from '../../../agent/http/metrics.js';
import { StatusServer } from '../../../agent/http/statusServer.js';
import { freePort } from '../../../scripts/support/freePort.js';

/**
 * Issue 8, authorisation: the status server listens on the configured address only — by default a
 * loopback one — rather than on every interface. 127.0.0.2 is loopback too, so the test reaches
 * no network, yet a server bound to all interfaces would answer there.
 */

let server: StatusServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

function tcpConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

describe('status server binding', () => {
  it('the default address is loopback, so no token is needed', () => {
    const http = httpSchema.parse({});
    expect(http.listen).toBe(DEFAULT_HTTP_LISTEN);
    expect(isLoopback(parseListen(http.listen)!.host)).toBe(true);
    expect(http.token).toBeUndefined();
  });

  it('binds the configured host only, not every interface', async () => {
    const port = await freePort();
    server = new StatusServer({
      config: { enabled: true, listen: `127.0.0.1:${port}` },
      currentStatus: () => null,
      metrics: createAgentMetrics(() => null),
      log: silentLogger(),
    });
    await server.start();
    expect(await tcpConnects('127.0.0.1', port)).toBe(true);
    expect(await tcpConnects('127.0.0.2', port)).toBe(false);
  });

  it('an address beyond loopback is refused without a token', () => {
    const r = httpSchema.safeParse({ listen: '0.0.0.0:8080' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['token']);
    expect(httpSchema.safeParse({ listen: '0.0.0.0:8080', token: 'a-token-of-16-chars+' }).success).toBe(
      true,
    );
  });
});
