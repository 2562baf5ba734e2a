import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cliUser,
  reloadMarkerPath,
  takeReloadMarker,
  writeReloadMarker,
} from '../../../agent/cli/reloadMarker.js';

describe('reload marker (cli vs bare SIGHUP)', () => {
  let dir: string;
  let pidFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'marker-'));
    pidFile = join(dir, 'agent.pid');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a fresh marker for this process makes the reload a cli one, and is consumed', () => {
    expect(writeReloadMarker(pidFile, { pid: 42, user: 'alice', ts: 1000 })).toBe(true);
    expect(takeReloadMarker(pidFile, { pid: 42, now: 2000 })).toEqual({ source: 'cli', actor: 'alice' });
    expect(existsSync(reloadMarkerPath(pidFile))).toBe(false);
    // The next SIGHUP has no marker: kill -HUP or systemctl reload.
    expect(takeReloadMarker(pidFile, { pid: 42, now: 3000 })).toEqual({ source: 'reload' });
  });

  it('ignores and removes a marker for another pid, a stale one, or garbage', () => {
    writeReloadMarker(pidFile, { pid: 41, user: 'alice', ts: 1000 });
    expect(takeReloadMarker(pidFile, { pid: 42, now: 1000 })).toEqual({ source: 'reload' });
    expect(existsSync(reloadMarkerPath(pidFile))).toBe(false);
    writeReloadMarker(pidFile, { pid: 42, user: 'alice', ts: 1000 });
    expect(takeReloadMarker(pidFile, { pid: 42, now: 1000 + 61_000 })).toEqual({ source: 'reload' });
    writeFileSync(reloadMarkerPath(pidFile), 'not json');
    expect(takeReloadMarker(pidFile, { pid: 42, now: 1000 })).toEqual({ source: 'reload' });
  });

  it('names the sudo caller rather than root', () => {
    expect(cliUser({ SUDO_USER: 'bob' })).toBe('bob');
    expect(cliUser({})).not.toBe('');
  });
});
