import type { UplinkConfig } from '../config/schema.js';
import type { Uplink } from '../uplink/uplink.js';
import { type UplinkContext, uplinkPlugin } from './plugins.js';

export type { UplinkContext } from './plugins.js';

/** The uplink for one `uplinks` entry, built by its type's plugin. Each keeps its own cursors in the outbox. */
export function createUplink(config: UplinkConfig, ctx: UplinkContext): Uplink {
  return uplinkPlugin(config).create(config, { ...ctx, log: ctx.log.child({ uplink: config.id }) });
}
