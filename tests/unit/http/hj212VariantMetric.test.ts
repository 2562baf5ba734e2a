import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../../agent/http/metrics.js';

describe('HJ 212 frame variant metric', () => {
  it('counts platform frames by uplink and by SM4 layout or tolerance', async () => {
    const m = createAgentMetrics(() => null);
    m.sink.hj212FrameVariant?.({ uplink: 'ministry', variant: 'sm4-hex-crc-ciphertext' });
    m.sink.hj212FrameVariant?.({ uplink: 'ministry', variant: 'sm4-hex-crc-ciphertext' });
    m.sink.hj212FrameVariant?.({ uplink: 'province', variant: 'no-qn' });
    const text = await m.scrape();
    expect(text).toContain(
      'station_agent_hj212_frame_variants_total{uplink="ministry",variant="sm4-hex-crc-ciphertext"} 2',
    );
    expect(text).toContain('station_agent_hj212_frame_variants_total{uplink="province",variant="no-qn"} 1');
  });
});
