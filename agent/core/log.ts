import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Human-readable output (a terminal); JSON lines otherwise (journald, files). */
  pretty?: boolean;
}

/** Paths redacted wherever they appear in a log object: secrets never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'pw',
  '*.pw',
  'key',
  '*.key',
  'config.uplinks[*].password',
];

export function createLogger(opts: LoggerOptions): Logger {
  const base = { level: opts.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (opts.pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(base);
}

/** A logger that writes nothing, for tests and tools that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
