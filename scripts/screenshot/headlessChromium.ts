import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium, driven by playwright-core (the status page test and `npm run screenshot`). */
export const CHROMIUM = '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps calling home, which floods a closed network.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A missing browser is an error with the command to fix it, never a skipped test. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the status page needs Debian's chromium. Install with:\n\n    sudo apt-get install -y chromium\n`,
    );
  }
}

/** Launches headless Chromium; `timeZone` sets the browser's own zone (TZ), as a technician's laptop would have. */
export function launchChromium(opts: { timeZone?: string } = {}): Promise<Browser> {
  requireChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    ...(opts.timeZone ? { env: { ...process.env, TZ: opts.timeZone } } : {}),
  });
}
