import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { ConfigOrigin } from '../audit/configAudit.js';

/**
 * How the agent tells `station-agent reload` from a bare SIGHUP (kill -HUP, systemctl reload) for
 * the config audit log: a signal carries no data, so the CLI first writes a small marker file beside
 * the pid file, naming the target pid and the user; the agent's SIGHUP handler takes (reads and
 * deletes) it. A marker for another pid, or older than MARKER_TTL_MS (the CLI died between writing
 * and signalling), is ignored and removed: that reload is audited as 'reload'.
 */

const MARKER_TTL_MS = 60_000;

interface Marker {
  pid: number;
  user: string;
  ts: number;
}

export function reloadMarkerPath(pidFile: string): string {
  return `${pidFile}.reload`;
}

/** Who runs the CLI: the sudo caller when run through sudo, else the account. */
export function cliUser(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUDO_USER) return env.SUDO_USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Best effort: without the marker the reload still happens, audited as 'reload'. */
export function writeReloadMarker(pidFile: string, marker: Marker): boolean {
  try {
    writeFileSync(reloadMarkerPath(pidFile), `${JSON.stringify(marker)}\n`);
    return true;
  } catch {
    return false;
  }
}

/** Best effort too: a leftover marker is ignored by the agent once stale (MARKER_TTL_MS). */
export function removeReloadMarker(pidFile: string): void {
  try {
    rmSync(reloadMarkerPath(pidFile), { force: true });
  } catch {
    // see above
  }
}

/** Called on SIGHUP: 'cli' with the user when a fresh marker for this process is there, else 'reload'. */
export function takeReloadMarker(pidFile: string, self: { pid: number; now: number }): ConfigOrigin {
  const path = reloadMarkerPath(pidFile);
  let marker: Partial<Marker>;
  try {
    marker = JSON.parse(readFileSync(path, 'utf8')) as Partial<Marker>;
  } catch {
    return { source: 'reload' }; // no marker (or unreadable): a bare SIGHUP
  }
  try {
    rmSync(path, { force: true });
  } catch {
    // Not ours to delete (another owner): the pid and age checks still keep it from being reused wrongly.
  }
  const fresh = typeof marker.ts === 'number' && Math.abs(self.now - marker.ts) <= MARKER_TTL_MS;
  if (marker.pid !== self.pid || !fresh) return { source: 'reload' };
  return { source: 'cli', actor: typeof marker.user === 'string' ? marker.user : 'unknown' };
}
