import { describe, expect, it } from 'vitest';
import { type LinkEvent, LinkWatch } from '../../../agent/app/linkWatch.js';
import { FakeClock } from '../../helpers/fakeClock.js';

describe('LinkWatch', () => {
  it('records a line going down and coming back, with how long it was down', async () => {
    const clock = new FakeClock();
    const events: LinkEvent[] = [];
    let up = true;
    const watch = new LinkWatch({
      buses: [{ id: 'rs485', isConnected: () => up }],
      clock,
      record: (e) => events.push(e),
    });
    watch.start();
    await clock.advance(3000);
    expect(events).toEqual([]); // up from the start: nothing to tell
    up = false;
    await clock.advance(1000);
    expect(events).toEqual([{ kind: 'link-lost', bus: 'rs485' }]);
    await clock.advance(10_000);
    expect(events).toHaveLength(1); // still down: no repeat
    up = true;
    await clock.advance(1000);
    expect(events[1]).toEqual({ kind: 'link-restored', bus: 'rs485', downMs: 11_000 });
    watch.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('records a line that is down at its first look', () => {
    const clock = new FakeClock();
    const events: LinkEvent[] = [];
    const watch = new LinkWatch({
      buses: [{ id: 'lan', isConnected: () => false }],
      clock,
      record: (e) => events.push(e),
    });
    watch.check();
    watch.check();
    expect(events).toEqual([{ kind: 'link-lost', bus: 'lan' }]);
  });
});
