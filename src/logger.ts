/** The library logs through pino: callers pass a logger or pino options; the default is silent. */
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger, LoggerOptions };

export function resolveLogger(logger: Logger | LoggerOptions | undefined, component: string): Logger {
  const base = logger === undefined ? pino({ level: 'silent' }) : isLogger(logger) ? logger : pino(logger);
  return base.child({ component });
}

function isLogger(value: Logger | LoggerOptions): value is Logger {
  return typeof (value as Logger).child === 'function' && typeof (value as Logger).info === 'function';
}
