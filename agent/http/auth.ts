import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The bearer token check of the status server. Both sides are hashed first so the comparison takes
 * the same time whatever the length or content of the guess (timingSafeEqual needs equal lengths).
 */
export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: `Authorization: Bearer …` first, else `?token=` (EventSource cannot set headers). */
export function requestToken(req: Pick<IncomingMessage, 'headers' | 'url'>): string | null {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (m) return (m[1] as string).trim();
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  return url.searchParams.get('token');
}

/** No token configured (loopback only, enforced by the schema) lets every request in. */
export function authorized(
  token: string | undefined,
  req: Pick<IncomingMessage, 'headers' | 'url'>,
): boolean {
  return token === undefined || tokenMatches(token, requestToken(req));
}
