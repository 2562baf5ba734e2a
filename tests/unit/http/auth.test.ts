import { describe, expect, it } from 'vitest';
import { authorized, requestToken, tokenMatches } from '../../../agent/http/auth.js';

const TOKEN = 'station-secret-0123456789';

describe('token checks', () => {
  it('matches only the exact token, whatever the length of the guess', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN, `${TOKEN}x`)).toBe(false);
    expect(tokenMatches(TOKEN, 'station')).toBe(false);
    expect(tokenMatches(TOKEN, '')).toBe(false);
    expect(tokenMatches(TOKEN, null)).toBe(false);
  });

  it('takes the token from a Bearer header or from ?token=', () => {
    expect(requestToken({ headers: { authorization: `Bearer ${TOKEN}` }, url: '/' })).toBe(TOKEN);
    expect(requestToken({ headers: {}, url: `/api/events?token=${TOKEN}` })).toBe(TOKEN);
    expect(requestToken({ headers: { authorization: 'Basic abc' }, url: '/' })).toBeNull();
  });

  it('lets every request in when no token is configured (loopback only, by the schema)', () => {
    expect(authorized(undefined, { headers: {}, url: '/' })).toBe(true);
    expect(authorized(TOKEN, { headers: {}, url: '/' })).toBe(false);
  });
});
