import { afterEach, describe, expect, it } from 'vitest';
import { uplinkBounds } from '../../../agent/app/plugins.js';
import { ConfirmedBoundsReader } from '../../../agent/store/confirmedBounds.js';
import { UplinkSettingsStore } from '../../../agent/store/uplinkSettings.js';
import { type BudgetRig, budgetRig, hj212, mqtt } from './storeBudgetFixture.js';

let rig: BudgetRig;
afterEach(() => rig.close());

describe('ConfirmedBoundsReader', () => {
  it('counts everything as confirmed when no uplink reads a table', () => {
    rig = budgetRig();
    const reader = new ConfirmedBoundsReader(rig.db, uplinkBounds);
    expect(reader.bounds([])).toEqual({ readings: Infinity, aggregates: Infinity });
    // An HJ 212 uplink sending only real-time data waits for no aggregate.
    rig.cursors.confirm('plat#realtime', 7);
    expect(reader.bounds([hj212('plat', ['realtime'])])).toEqual({ readings: 7, aggregates: Infinity });
  });

  it('takes the lowest cursor over the MQTT uplinks, a missing cursor counting as 0', () => {
    rig = budgetRig();
    rig.cursors.confirm('a', 50);
    rig.cursors.confirm('a#aggregates', 9);
    rig.cursors.confirm('b', 30);
    rig.cursors.confirm('b#aggregates', 12);
    const reader = new ConfirmedBoundsReader(rig.db, uplinkBounds);
    expect(reader.bounds([mqtt('a'), mqtt('b')])).toEqual({ readings: 30, aggregates: 9 });
    expect(reader.bounds([mqtt('a'), mqtt('new')])).toEqual({ readings: 0, aggregates: 0 });
  });

  it('holds HJ 212 data back until neither the live stream nor a backlog range will still send it', () => {
    rig = budgetRig();
    const settings = new UplinkSettingsStore({ db: rig.db, clock: rig.clock });
    const reader = new ConfirmedBoundsReader(rig.db, uplinkBounds);
    const up = hj212('plat', ['realtime', 'hour']);
    rig.cursors.confirm('plat#realtime', 100);
    rig.cursors.confirm('plat#aggregates', 40);
    expect(reader.bounds([up])).toEqual({ readings: 100, aggregates: 40 });
    // An outage: (20, 60] became backlog, re-sent up to 35 so far; (70, 80] waits behind it.
    settings.set('plat', 'backlog.realtime', [
      { from: 20, to: 60 },
      { from: 70, to: 80 },
    ]);
    rig.cursors.confirm('plat#realtime-backlog', 35);
    expect(reader.bounds([up]).readings).toBe(35);
    // Backlog re-sent past the first range: the second one bounds it.
    rig.cursors.confirm('plat#realtime-backlog', 60);
    expect(reader.bounds([up]).readings).toBe(70);
    rig.cursors.confirm('plat#realtime-backlog', 80);
    expect(reader.bounds([up]).readings).toBe(100);
    // A range the backlog has not started: bounded by its start.
    settings.set('plat', 'backlog.aggregates', [{ from: 5, to: 30 }]);
    expect(reader.bounds([up]).aggregates).toBe(5);
  });
});
