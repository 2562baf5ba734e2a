import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conclude, produce, type Scenario, tcpStation } from '../scenario.js';
import { pollRows } from '../storeProbe.js';

/**
 * The wall clock stepped ±1 h, as an NTP step does, with the monotonic clock left alone. The agent
 * runs under libfaketime (LD_PRELOAD): FAKETIME_TIMESTAMP_FILE holds the offset and is re-read on
 * every call (FAKETIME_NO_CACHE), FAKETIME_DONT_FAKE_MONOTONIC keeps CLOCK_MONOTONIC real, so only
 * Date.now() and the like jump. The harness, broker and simulator keep the real time.
 */

export const LIBFAKETIME_PATHS = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

export function findLibfaketime(): string {
  const found = LIBFAKETIME_PATHS.find((p) => existsSync(p));
  if (found === undefined) {
    throw new Error(
      'libfaketime is needed for the clock-step scenario but was not found; install it: sudo apt-get install -y faketime',
    );
  }
  return found;
}

export const clockStep: Scenario = {
  id: 'clock-step',
  title: 'wall clock stepped ±1 hour',
  async run(ctx) {
    const phaseMs = ctx.size === 'full' ? 30_000 : 3_000;
    const lib = findLibfaketime();
    const st = await tcpStation(this.id, ctx, {
      agentEnv: (dir) => ({
        LD_PRELOAD: lib,
        FAKETIME_NO_CACHE: '1',
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
        FAKETIME_TIMESTAMP_FILE: join(dir, 'faketime'),
      }),
    });
    try {
      const { rig } = st;
      const offsetFile = join(rig.dir, 'faketime');
      const step = (offset: string) => writeFileSync(offsetFile, `${offset}\n`);
      step('+0');
      rig.startAgent();
      await produce(rig, ctx, 30);
      // +1 h, back (a −1 h step), −1 h, back (a +1 h step): both directions from both sides.
      for (const offset of ['+3600', '+0', '-3600']) {
        step(offset);
        await ctx.sleep(phaseMs);
      }
      step('+0');
      const faultEnd = ctx.now();
      const timing = await rig.recovery(faultEnd, 60_000);
      // The steps must show in what the agent stored, or libfaketime did not take hold of it.
      const ts = pollRows(rig.dbPath, 0).map((r) => r.ts);
      const ahead = ts.filter((t) => t > faultEnd + 50 * 60_000).length;
      const behind = ts.filter((t) => t < faultEnd - 50 * 60_000).length;
      const problems =
        ahead === 0 || behind === 0
          ? [`the agent's clock did not step (${ahead} readings +1 h, ${behind} −1 h)`]
          : [];
      return await conclude(this, ctx, rig, {
        params: { stepS: 3600, phaseS: phaseMs / 1000 },
        ...timing,
        notes: [`${ahead} readings stamped +1 h, ${behind} stamped −1 h`],
        problems,
      });
    } finally {
      await st.dispose();
    }
  },
};
