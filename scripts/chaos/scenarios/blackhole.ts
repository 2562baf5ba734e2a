import { conclude, produce, type Scenario, tcpStation } from '../scenario.js';

const KEEPALIVE_S = 2;

/**
 * The network path to the broker blackholed: a half-open connection, no FIN, no RST. Only the MQTT
 * keepalive can tell; detection is the time from the blackhole until the agent dials again.
 */
export const blackhole: Scenario = {
  id: 'blackhole',
  title: 'network path blackholed (half-open)',
  async run(ctx) {
    const holeMs = ctx.size === 'full' ? 120_000 : 4 * KEEPALIVE_S * 1000;
    const st = await tcpStation(this.id, ctx, { viaProxy: true, keepalive: `${KEEPALIVE_S}s` });
    try {
      const { rig } = st;
      const proxy = rig.proxy!;
      rig.startAgent();
      await produce(rig, ctx, 50);
      const holeStart = ctx.now();
      proxy.blackhole();
      ctx.progress(`path blackholed for ${holeMs / 1000} s`);
      await ctx.sleep(holeMs);
      const redial = proxy.connections.find((t) => t >= holeStart);
      proxy.heal();
      const faultEnd = ctx.now();
      const timing = await rig.recovery(faultEnd, 120_000);
      const detectMs = redial === undefined ? null : redial - holeStart;
      const problems =
        detectMs === null ? [`the dead connection was not detected within ${holeMs / 1000} s`] : [];
      return await conclude(this, ctx, rig, {
        params: { blackholeS: holeMs / 1000, keepaliveS: KEEPALIVE_S },
        ...timing,
        detectMs,
        problems,
      });
    } finally {
      await st.dispose();
    }
  },
};
