import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import { conclude, produce, type Scenario, tcpStation } from '../scenario.js';

/**
 * The database file corrupted while the agent was stopped (a power cut on a cheap SD card): its
 * first page overwritten with noise. Contract (openStationDatabase.ts): the next start renames it to
 * `<name>.corrupt-<time>` (kept, never deleted), starts a new database (a new db id, seqs from 1),
 * records a `store-set-aside` event in it and forwards it on `<prefix>/<station>/events`; the agent
 * runs on. Everything of the old file was delivered before it was damaged (drained first), so
 * lost = 0 counts both stores.
 */
export const corruptDb: Scenario = {
  id: 'corrupt-db',
  title: 'database file corrupted before start',
  async run(ctx) {
    const st = await tcpStation(this.id, ctx);
    try {
      const { rig } = st;
      rig.startAgent();
      await produce(rig, ctx, 50);
      const before = await rig.drain();
      const fd = openSync(rig.dbPath, 'r+');
      try {
        writeSync(fd, randomBytes(4096), 0, 4096, 0);
      } finally {
        closeSync(fd);
      }
      const restart = ctx.now();
      rig.startAgent();
      const problems: string[] = [];
      if (!(await rig.agentReady(20_000))) problems.push('the agent did not start on a corrupt database');
      await produce(rig, ctx, 30).catch((err: unknown) => problems.push(String(err)));
      const timing = await rig.recovery(restart, 60_000);
      const setAside = readdirSync(rig.dir).filter((f) => /^agent\.db\.corrupt-[0-9TZ-]+$/.test(f));
      if (setAside.length !== 1)
        problems.push(`expected one set-aside file, found: ${setAside.join(', ') || 'none'}`);
      const after = rig.store(false);
      if (after.dbId === '' || after.dbId === before.dbId)
        problems.push('no new database (same or no db id)');
      const deadline = ctx.now() + 15_000;
      while (!rig.log.events.some((e) => e.kind === 'store-set-aside') && ctx.now() < deadline)
        await ctx.sleep(100);
      const event = rig.log.events.find((e) => e.kind === 'store-set-aside');
      if (event === undefined) problems.push('no store-set-aside event arrived on the events topic');
      else if (after.dbId !== '' && event.envelopeDb !== after.dbId)
        problems.push(
          `the store-set-aside event names db ${event.envelopeDb}, the new store is ${after.dbId}`,
        );
      if (!rig.log.sawDbField())
        problems.push('readings carry no db field: the two stores seqs cannot be told apart');
      return await conclude(this, ctx, rig, {
        params: { corrupted: 'first 4 KB' },
        ...timing,
        earlierStores: [before],
        notes: [
          `old store ${before.dbId.slice(0, 8)}… (${before.maxSeq} readings, all delivered before the damage) set aside as ${setAside[0] ?? '?'}`,
        ],
        problems,
      });
    } finally {
      await st.dispose();
    }
  },
};
