import { pino, type DestinationStream, type Level } from 'pino';

/**
 * Extra facts on a log line. Only ids, names, counts and durations go here: never a session token,
 * password, Authorization header or message text (the pino logger also redacts those keys, as a
 * second line of defence).
 */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Where the server reports what happened. Injected so tests can capture and assert on it. */
export interface ServerLogger {
  error(message: string, error?: unknown, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  /** Per-frame and per-connection detail; off unless the level is debug. */
  debug(message: string, fields?: LogFields): void;
}

/** What callers may inject: at least `error`; the levels they leave out are dropped. */
export type ServerLoggerInput = Pick<ServerLogger, 'error'> & Partial<ServerLogger>;

import type { LogLevel } from '../common/logger.js';

export { LOG_LEVELS, type LogLevel } from '../common/logger.js';

const ignore = () => undefined;

export function completeLogger(input: ServerLoggerInput): ServerLogger {
  return {
    error: input.error.bind(input),
    warn: input.warn?.bind(input) ?? ignore,
    info: input.info?.bind(input) ?? ignore,
    debug: input.debug?.bind(input) ?? ignore,
  };
}

/** Keys that must never reach a log line, wherever they appear (top level or one object down). */
export const REDACTED_PATHS = [
  'token',
  'password',
  'text',
  'authorization',
  'cookie',
  '*.token',
  '*.password',
  '*.text',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface PinoLoggerOptions {
  level?: LogLevel;
  /** Where the JSON lines go; stderr unless given (stdout carries the CLI's one address line). */
  destination?: DestinationStream;
}

/** JSON lines through pino: one object per line with level, time, msg and the given fields. */
export function createPinoLogger(options: PinoLoggerOptions = {}): ServerLogger {
  const log = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
  const at = (level: Level) => (message: string, fields?: LogFields) => {
    if (log.isLevelEnabled(level)) log[level](fields ?? {}, message);
  };
  return {
    error: (message, error, fields) => log.error(error === undefined ? { ...fields } : { ...fields, err: error }, message),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
}
