import { isHistoryCn } from '../../drivers/hj212/codes.js';
import type { PlatformCommand } from '../../drivers/hj212/commands.js';
import { type Cp, parseCp } from '../../drivers/hj212/cp.js';

/** What a line typed at the platform console asks for. */
export type ConsoleAction =
  | { kind: 'command'; command: PlatformCommand }
  | { kind: 'raw'; cn: string; cp: Cp }
  | { kind: 'ack'; on: boolean }
  | { kind: 'drop' }
  | { kind: 'stations' }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

export const CONSOLE_HELP = `commands (to the latest connected station):
  history <2011|2051|2061|2031> <begin> <end>   history request, times yyyyMMddHHmmss
  time | settime [yyyyMMddHHmmss]               1011 / 1012 (default: now)
  rtd [seconds] | min [minutes]                 1061/1062, 1063/1064
  timeouts <overTimeS> <reCount>                1000
  password <newPW>                              1072
  realtime on|off                               2011 / 2012
  key [16-char key]                             1014 (2025)
  raw <CN> [CP text]                            any CN, e.g. raw 1099 Foo=1
  ack on|off | drop | stations | help`;

const TIME = /^\d{14}$/;

/** Parses one console line; `now` gives the default time for settime and key exchange. */
export function parseConsoleLine(line: string, now: () => string, newKey: () => string): ConsoleAction {
  const [word, ...args] = line.trim().split(/\s+/);
  const cmd = (command: PlatformCommand): ConsoleAction => ({ kind: 'command', command });
  const error = (message: string): ConsoleAction => ({ kind: 'error', message });
  const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);
  switch (word) {
    case 'history': {
      const [cn, beginTime, endTime] = args;
      if (cn === undefined || !isHistoryCn(cn) || !TIME.test(beginTime ?? '') || !TIME.test(endTime ?? '')) {
        return error('usage: history <2011|2051|2061|2031> <yyyyMMddHHmmss> <yyyyMMddHHmmss>');
      }
      return cmd({ kind: 'history', cn, beginTime: beginTime!, endTime: endTime! });
    }
    case 'time':
      return cmd({ kind: 'get-time' });
    case 'settime': {
      const systemTime = args[0] ?? now();
      return TIME.test(systemTime)
        ? cmd({ kind: 'set-time', systemTime })
        : error('usage: settime [yyyyMMddHHmmss]');
    }
    case 'rtd': {
      if (args.length === 0) return cmd({ kind: 'get-rtd-interval' });
      const seconds = int(args[0]);
      return seconds === undefined
        ? error('usage: rtd [seconds]')
        : cmd({ kind: 'set-rtd-interval', seconds });
    }
    case 'min': {
      if (args.length === 0) return cmd({ kind: 'get-min-interval' });
      const minutes = int(args[0]);
      return minutes === undefined
        ? error('usage: min [minutes]')
        : cmd({ kind: 'set-min-interval', minutes });
    }
    case 'timeouts': {
      const overTimeS = int(args[0]);
      const reCount = int(args[1]);
      if (overTimeS === undefined || reCount === undefined)
        return error('usage: timeouts <overTimeS> <reCount>');
      return cmd({ kind: 'set-timeouts', overTimeS, reCount });
    }
    case 'password':
      return args[0] === undefined
        ? error('usage: password <newPW>')
        : cmd({ kind: 'set-password', newPw: args[0] });
    case 'realtime':
      if (args[0] === 'on') return cmd({ kind: 'start-realtime' });
      if (args[0] === 'off') return cmd({ kind: 'stop-realtime' });
      return error('usage: realtime on|off');
    case 'key':
      return cmd({ kind: 'key-exchange', skCreateTime: now(), newSk: args[0] ?? newKey() });
    case 'raw': {
      const [cn, ...rest] = args;
      if (cn === undefined || !/^\d{4}$/.test(cn)) return error('usage: raw <CN> [CP text]');
      const cp = parseCp(rest.join(' '));
      return cp.ok ? { kind: 'raw', cn, cp: cp.value } : error(cp.detail);
    }
    case 'ack':
      if (args[0] === 'on' || args[0] === 'off') return { kind: 'ack', on: args[0] === 'on' };
      return error('usage: ack on|off');
    case 'drop':
      return { kind: 'drop' };
    case 'stations':
      return { kind: 'stations' };
    case 'help':
    case undefined:
    case '':
      return { kind: 'help' };
    default:
      return error(`unknown command '${word}' (help lists them)`);
  }
}
