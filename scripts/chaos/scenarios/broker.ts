import { conclude, produce, type Scenario, tcpStation } from '../scenario.js';

/** The broker stopped (clean SIGTERM, sessions saved) for a while, the station polling on. */
export const brokerStop: Scenario = {
  id: 'broker-stop',
  title: 'broker stopped',
  async run(ctx) {
    const outageMs = ctx.size === 'full' ? 120_000 : 5_000;
    const st = await tcpStation(this.id, ctx);
    try {
      const { rig } = st;
      rig.startAgent();
      await produce(rig, ctx, 50);
      await rig.broker.stop();
      ctx.progress(`broker down for ${outageMs / 1000} s`);
      await ctx.sleep(outageMs);
      await rig.broker.restart();
      const faultEnd = ctx.now();
      const timing = await rig.recovery(faultEnd, 120_000);
      return await conclude(this, ctx, rig, { params: { outageS: outageMs / 1000 }, ...timing });
    } finally {
      await st.dispose();
    }
  },
};

/** The broker restarted many times in a row, each time up just long enough for the agent to reconnect. */
export const brokerRestarts: Scenario = {
  id: 'broker-restarts',
  title: 'broker restarted in a row',
  async run(ctx) {
    const restarts = ctx.size === 'full' ? 20 : 3;
    const st = await tcpStation(this.id, ctx);
    try {
      const { rig } = st;
      rig.startAgent();
      await produce(rig, ctx, 50);
      for (let i = 0; i < restarts; i++) {
        await rig.broker.stop();
        await ctx.sleep(500 + Math.floor(ctx.random() * 1500));
        await rig.broker.restart();
        // Up for a random 0.5–3 s: sometimes the agent is mid-reconnect, sometimes mid-backlog.
        await ctx.sleep(500 + Math.floor(ctx.random() * 2500));
      }
      const faultEnd = ctx.now();
      const timing = await rig.recovery(faultEnd, 120_000);
      return await conclude(this, ctx, rig, { params: { restarts }, ...timing });
    } finally {
      await st.dispose();
    }
  },
};
