import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Human-readable output (a terminal); JSON lines otherwise (journald, files). */
  pretty?: boolean;
  /** Where JSON lines go instead of stdout (tests capture them; ignored with `pretty`). */
  destination?: { write(line: string): unknown };
}

/** Paths redacted wherever they appear in a log object: secrets never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'pw',
  '*.pw',
  'key',
  '*.key',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  // A whole config logged as `config`: its secrets sit deeper than the one-level wildcards reach.
  'config.uplinks[*].password',
  'config.uplinks[*].pw',
  'config.uplinks[*].key',
  'config.http.token',
];

/**
 * Children of each root logger, so a live level change (the `log-level` command) reaches the loggers
 * components already hold: pino copies the level into a child when it is created. Weak references,
 * so loggers of a stopped agent are not kept alive.
 */
const childrenOf = new WeakMap<object, Set<WeakRef<Logger>>>();

/** Sets the level of `root` and of every logger derived from it. */
export function setLogLevel(root: Logger, level: string): void {
  root.level = level;
  for (const ref of childrenOf.get(root) ?? []) {
    const child = ref.deref();
    if (child) child.level = level;
    else childrenOf.get(root)?.delete(ref);
  }
}

export function createLogger(opts: LoggerOptions): Logger {
  const children = new Set<WeakRef<Logger>>();
  const base = {
    level: opts.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // Inherited by children, so grandchildren are registered too.
    onChild: (child: Logger) => {
      children.add(new WeakRef(child));
    },
  };
  if (opts.pretty) {
    const log = pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
    childrenOf.set(log, children);
    return log;
  }
  const log = opts.destination ? pino(base, opts.destination) : pino(base);
  childrenOf.set(log, children);
  return log;
}

/** A logger that writes nothing, for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
