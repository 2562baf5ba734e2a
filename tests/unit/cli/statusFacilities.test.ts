import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../agent/cli/statusCommand.js';
import type { OperationsStatus } from '../../../agent/http/statusReport.js';

/** Issue 17: `station-agent status` shows the facilities and an open alarm, as the status page does. */

const T0 = Date.UTC(2026, 11, 7, 2, 0, 0);

function status(facilities: OperationsStatus['facilities']): OperationsStatus {
  return {
    station: { id: 'ent-1', name: '某化工厂', configHash: 'abcdef0123456789', now: T0 },
    devices: [],
    seriesFrom: T0,
    uplinks: [],
    store: { path: '/var/lib/station-agent/station.db', bytes: 1_048_576, freeBytes: null },
    events: [],
    ...(facilities === undefined ? {} : { facilities }),
  };
}

describe('station-agent status: facilities', () => {
  it('lists each facility with its state and power, and an open alarm with its treatment', () => {
    const text = formatStatus(
      status([
        {
          id: 'kiln',
          name: '回转窑',
          role: 'production',
          state: 'running',
          since: T0 - 3_600_000,
          power: 182.5,
          alarms: [{ treatment: 'dust', since: T0 - 600_000, fault: 'stopped' }],
        },
        {
          id: 'dust',
          name: null,
          role: 'treatment',
          state: 'stopped',
          since: T0 - 900_000,
          power: 0.4,
          alarms: [],
        },
      ]),
    );
    const lines = text.split('\n');
    const at = lines.indexOf('facilities');
    expect(at).toBeGreaterThan(0);
    const kiln = lines.find((l) => l.includes('kiln'));
    const dust = lines.slice(at).find((l) => /^\s*dust\b/.test(l));
    expect(kiln).toMatch(
      /production\s+running\s+2026-12-07T01:00:00.000Z\s+182\.5\s+ALARM dust stopped since 2026-12-07T01:50:00.000Z/,
    );
    expect(kiln).toContain('回转窑');
    expect(dust).toMatch(/treatment\s+stopped\s+2026-12-07T01:45:00.000Z\s+0\.4\s+-$/);
  });

  it('has no facilities section when none are configured', () => {
    expect(formatStatus(status([]))).not.toMatch(/^facilities$/m);
    expect(formatStatus(status(undefined))).not.toMatch(/^facilities$/m);
  });
});
