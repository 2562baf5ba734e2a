import { conclude, produce, type Scenario, tcpStation } from '../scenario.js';

/**
 * SIGKILL at random moments, restarting the agent after each: polls, store commits and publishes
 * (batches every 200 ms, up to 4 in flight) are all running at any moment, so a uniform 0–2 s delay
 * after start lands in each of them over the run.
 */
export const sigkill: Scenario = {
  id: 'sigkill',
  title: 'agent killed with SIGKILL at random moments',
  async run(ctx) {
    const kills = ctx.size === 'full' ? 50 : 5;
    const st = await tcpStation(this.id, ctx);
    try {
      const { rig } = st;
      const problems: string[] = [];
      let unconfirmedAtKill = 0;
      for (let k = 0; k < kills; k++) {
        rig.startAgent();
        if (!(await rig.agentReady(20_000))) problems.push(`run ${k + 1}: the agent did not get ready`);
        // The first run also waits for traffic, so the kills hit an agent with a backlog to confirm.
        if (k === 0) await produce(rig, ctx, 30);
        await ctx.sleep(Math.floor(ctx.random() * 2000));
        // Stored but not yet confirmed at the kill: a batch was being published (or about to be).
        const at = rig.store(false);
        if (at.maxSeq > at.cursor) unconfirmedAtKill++;
        await rig.killAgent();
        if (k % 10 === 9) ctx.progress(`${k + 1} kills`);
      }
      rig.startAgent();
      const faultEnd = ctx.now();
      const timing = await rig.recovery(faultEnd, 120_000);
      return await conclude(this, ctx, rig, {
        params: { kills },
        ...timing,
        notes: [`${unconfirmedAtKill} of ${kills} kills hit with readings stored but not yet confirmed`],
        problems,
      });
    } finally {
      await st.dispose();
    }
  },
};
