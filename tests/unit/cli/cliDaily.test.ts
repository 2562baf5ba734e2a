import { describe, expect, it } from 'vitest';
import { chooseConfigPath, DEFAULT_CONFIG_PATH } from '../../../agent/cli/defaultConfigPath.js';
import { suggestIds, withIdHint } from '../../../agent/cli/idSuggestion.js';
import { type PollReport, watchDevice } from '../../../agent/cli/readWatch.js';

describe('chooseConfigPath', () => {
  const files = (...present: string[]) => ({ exists: (p: string) => present.includes(p) });

  it('--config first, then $STATION_AGENT_CONFIG, then /etc/station-agent/station.yaml', () => {
    const env = { STATION_AGENT_CONFIG: '/srv/a.yaml' };
    expect(chooseConfigPath('x.yaml', { env, ...files() })).toEqual({ ok: true, path: 'x.yaml' });
    expect(chooseConfigPath(undefined, { env, ...files('/srv/a.yaml', DEFAULT_CONFIG_PATH) })).toEqual({
      ok: true,
      path: '/srv/a.yaml',
    });
    expect(chooseConfigPath(undefined, { env: {}, ...files(DEFAULT_CONFIG_PATH) })).toEqual({
      ok: true,
      path: DEFAULT_CONFIG_PATH,
    });
    // An empty variable counts as unset.
    expect(
      chooseConfigPath(undefined, { env: { STATION_AGENT_CONFIG: '' }, ...files(DEFAULT_CONFIG_PATH) }),
    ).toEqual({ ok: true, path: DEFAULT_CONFIG_PATH });
  });

  it('a set variable naming no file is reported, not skipped for the system file', () => {
    const r = chooseConfigPath(undefined, {
      env: { STATION_AGENT_CONFIG: '/srv/typo.yaml' },
      ...files(DEFAULT_CONFIG_PATH),
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain('$STATION_AGENT_CONFIG = /srv/typo.yaml: no such file');
      expect(r.message).toContain(`so ${DEFAULT_CONFIG_PATH} was not tried`);
    }
  });

  it('nothing there: names both places and how to give a file', () => {
    const r = chooseConfigPath(undefined, { env: {}, ...files() });
    expect(r).toEqual({
      ok: false,
      message: [
        'station-agent: no configuration file: --config was not given and the default is not there.',
        'Tried:',
        '  $STATION_AGENT_CONFIG: not set',
        `  ${DEFAULT_CONFIG_PATH}: no such file (scripts/install.sh writes it)`,
        'Give one with --config FILE (e.g. --config config/examples/water-station.yaml) or set STATION_AGENT_CONFIG.',
      ].join('\n'),
    });
  });
});

describe('suggestIds', () => {
  const stored = ['nutrient/cod', 'nutrient/nh3n', 'sonde/cond', 'sonde/ph'];

  it('matches whole ids like validate does', () => {
    expect(suggestIds('sond', ['nutrient', 'sonde'])).toEqual(['sonde']);
    expect(suggestIds('Nutrient', ['nutrient', 'sonde'])).toEqual(['nutrient']);
    expect(suggestIds('turbidity', ['nutrient', 'sonde'])).toEqual([]);
    expect(suggestIds('sonde/cnd', stored)).toEqual(['sonde/cond']);
  });

  it('a channel without its device, or with only the device mistyped', () => {
    expect(suggestIds('cod', stored)).toEqual(['nutrient/cod']);
    expect(suggestIds('ph', stored)).toEqual(['sonde/ph']);
    expect(suggestIds('sondee/ph', stored)).toEqual(['sonde/ph']);
    expect(suggestIds('turbidity', stored)).toEqual([]);
  });

  it('adds the hint line only when there is a suggestion', () => {
    expect(withIdHint('no device "sond"', 'sond', ['sonde'])).toBe(
      'no device "sond"\n  hint: did you mean "sonde"?',
    );
    expect(withIdHint('no device "x"', 'x', ['sonde'])).toBe('no device "x"');
  });
});

describe('watchDevice', () => {
  /** Polls taking `pollMs` of fake time; Ctrl-C comes in the wait after the `polls`-th. */
  function rig(opts: { tty: boolean; pollMs: number; polls: number }) {
    let now = 1_000_000;
    const out: string[] = [];
    const sleeps: number[] = [];
    const stop = new AbortController();
    let n = 0;
    const run = watchDevice({
      io: { out: { write: (t: string) => out.push(t), isTTY: opts.tty } },
      poll: async (): Promise<PollReport> => {
        now += opts.pollMs;
        n++;
        return { text: `report ${n}\nline 2\n`, ok: n !== 2 };
      },
      intervalMs: 1000,
      signal: stop.signal,
      now: () => now,
      formatTime: (ms) => `t${ms}`,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
        if (n === opts.polls) stop.abort(); // Ctrl-C while waiting for the next refresh
      },
    });
    return { run, out, sleeps };
  }

  it('polls once an interval from the start of the previous poll, until stopped', async () => {
    const { run, sleeps, out } = rig({ tty: false, pollMs: 300, polls: 3 });
    expect(await run).toBe(3);
    expect(sleeps).toEqual([700, 700, 700]);
    expect(out).toEqual([
      '=== t1000000  refresh 1, every 1s; Ctrl-C to stop ===\nreport 1\nline 2\n',
      '\n=== t1001000  refresh 2, every 1s (poll failed); Ctrl-C to stop ===\nreport 2\nline 2\n',
      '\n=== t1002000  refresh 3, every 1s; Ctrl-C to stop ===\nreport 3\nline 2\n',
    ]);
  });

  it('a poll slower than the interval: the next starts at once', async () => {
    const { run, sleeps } = rig({ tty: false, pollMs: 1500, polls: 2 });
    expect(await run).toBe(2);
    expect(sleeps).toEqual([0, 0]);
  });

  it('on a terminal: clears once, then redraws from the top-left corner', async () => {
    const { run, out } = rig({ tty: true, pollMs: 10, polls: 2 });
    await run;
    expect(out[0]).toBe(
      '\x1b[2J\x1b[Ht1000000  refresh 1, every 1s; Ctrl-C to stop\x1b[K\n\x1b[K\nreport 1\x1b[K\nline 2\x1b[K\n\x1b[J',
    );
    expect(out[1]!.startsWith('\x1b[Ht1001000  refresh 2, every 1s (poll failed)')).toBe(true);
  });

  it('stopping during a poll that hangs ends the watch at once', async () => {
    const stop = new AbortController();
    let polls = 0;
    const run = watchDevice({
      io: { out: { write: () => undefined } },
      poll: () => {
        polls++;
        return new Promise<PollReport>(() => {}); // a device that never answers
      },
      intervalMs: 1000,
      signal: stop.signal,
      now: () => 0,
      formatTime: String,
      sleep: async () => {},
    });
    await Promise.resolve();
    stop.abort();
    expect(await run).toBe(0);
    expect(polls).toBe(1);
  });
});
