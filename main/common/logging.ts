/**
 * Structured logs (pino JSON lines) for the hosts' main processes and the core worker. The host
 * owns the files: the main thread writes its own lines and those the core worker sends it (one
 * writer, so rotation never races), into the profile's `logs/` folder (logging-rotation.ts).
 * Every line is scrubbed of secrets before it is written (logging-scrub.ts).
 */
import path from 'node:path';
import { pino, type Level } from 'pino';
import { isLogLevel, LOG_LEVELS, type Logger, type LogFields, type LogLevel } from '../../sync/common/logger.js';
import { REDACTED, REDACTED_LOG_PATHS, scrubLogText } from './logging-scrub.js';
import { openRotatingLogFile, type LogDestination, type RotatingLogOptions } from './logging-rotation.js';

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** The profile's log folder. */
export const LOGS_DIR = 'logs';

export function logsDirOf(profileDir: string): string {
  return path.join(profileDir, LOGS_DIR);
}

/** --log-level's value, or a message saying what it may be. */
export function parseLogLevel(value: string | undefined): { ok: true; level: LogLevel } | { ok: false; message: string } {
  if (value === undefined) return { ok: true, level: DEFAULT_LOG_LEVEL };
  const level = value.trim().toLowerCase();
  if (isLogLevel(level)) return { ok: true, level };
  return { ok: false, message: `--log-level must be one of ${LOG_LEVELS.join(', ')} (got "${value.slice(0, 32)}").` };
}

export interface LoggerOptions {
  level: LogLevel;
  /** Which part of the app wrote the line: "electron", "browser-host", "core". */
  name: string;
  destination: LogDestination;
}

/** A pino logger behind the Logger interface; every line it writes is scrubbed of secrets. */
export function createLogger(options: LoggerOptions): Logger {
  const log = pino(
    {
      level: options.level,
      name: options.name,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
    },
    { write: (line: string) => options.destination.write(scrubLogText(line)) },
  );
  const at = (level: Level) => (message: string, fields?: LogFields) => {
    if (log.isLevelEnabled(level)) log[level]({ ...fields }, message);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export interface HostLogging {
  readonly logger: Logger;
  readonly level: LogLevel;
  /** The profile's log folder (what "Export logs" reads). */
  readonly dir: string;
  /** A line the core worker logged (already JSON, scrubbed again here: it crossed a thread). */
  readonly writeWorkerLine: (line: string) => void;
  readonly close: () => void;
}

export interface HostLoggingOptions extends Omit<RotatingLogOptions, 'dir'> {
  profileDir: string;
  level: LogLevel;
  name: string;
}

/** Opens the profile's rotating log and the host's logger on it. */
export function openHostLogging(options: HostLoggingOptions): HostLogging {
  const dir = logsDirOf(options.profileDir);
  const file = openRotatingLogFile({
    dir,
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    ...(options.maxFiles !== undefined ? { maxFiles: options.maxFiles } : {}),
  });
  return {
    logger: createLogger({ level: options.level, name: options.name, destination: file }),
    level: options.level,
    dir,
    writeWorkerLine: (line) => file.write(scrubLogText(line.endsWith('\n') ? line : `${line}\n`)),
    close: () => file.close(),
  };
}
