import type { StreamEvent } from '../../../drivers/hj212/streamDecoder.js';
import { TOLERANCES, type Tolerance } from '../../../drivers/hj212/tolerance.js';
import type { Logger } from '../../core/log.js';
import type { MetricsSink } from '../../core/metricsSink.js';

export interface ReceivedVariantsDeps {
  uplink: string;
  log: Logger;
  metrics?: Pick<MetricsSink, 'hj212FrameVariant'>;
}

/**
 * What a platform's frames looked like: the SM4 layout of each encrypted frame and every tolerance
 * a frame needed (tolerance.ts). Each is counted (`station_agent_hj212_frame_variants_total`) and
 * logged the first time this platform sends it: once per peer, not once per frame.
 */
export class ReceivedVariants {
  private readonly logged = new Set<string>();

  constructor(private readonly deps: ReceivedVariantsDeps) {}

  note(ev: Extract<StreamEvent, { kind: 'frame' }>): void {
    const { uplink, log, metrics } = this.deps;
    const kinds: string[] = [...(ev.variant === undefined ? [] : [ev.variant]), ...ev.tolerated];
    for (const variant of kinds) {
      metrics?.hj212FrameVariant?.({ uplink, variant });
      if (this.logged.has(variant)) continue;
      this.logged.add(variant);
      const context = { uplink, variant, cn: ev.segment.cn, qn: ev.segment.qn };
      if (variant in TOLERANCES) {
        const detail = TOLERANCES[variant as Tolerance];
        log.warn({ ...context, detail }, 'HJ 212 platform frame accepted despite a deviation (logged once)');
      } else {
        log.info(context, 'HJ 212 platform sends SM4 frames in this layout (logged once)');
      }
    }
  }
}
