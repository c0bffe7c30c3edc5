/**
 * Where the client core reports what happened. sync/ knows nothing of files or pino: the host makes
 * the logger (main/common/logging.ts) and injects it, as it injects the clock and timers.
 */

/**
 * Facts on a log line: ids, codes, states, counts, durations. Never message text, a password, a
 * session token or a key (the host masks those again, as a second line of defence).
 */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  /** Per-request detail (each outbox row sent); off unless the level is debug. */
  debug(message: string, fields?: LogFields): void;
}

/** pino's levels, most detailed first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

const ignore = () => undefined;

/** For cores nobody listens to (tests, tools). */
export const SILENT_LOGGER: Logger = { error: ignore, warn: ignore, info: ignore, debug: ignore };

/** An error as log fields: its name, code when it has one, and message (which the host scrubs). */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: String(error) };
  const code = (error as { code?: unknown }).code;
  return { errorName: error.name, error: error.message, ...(typeof code === 'string' ? { errorCode: code } : {}) };
}
