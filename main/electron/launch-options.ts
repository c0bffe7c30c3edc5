/** Reading the Electron main process's command line; pure. */
import path from 'node:path';
import type { LogLevel } from '../../sync/common/logger.js';
import { DEFAULT_SERVER_URL, ELECTRON_SQLITE_BINDING } from '../common/defaults.js';
import { DEFAULT_LOG_LEVEL, parseLogLevel } from '../common/logging.js';

export interface LaunchOptions {
  /** From --profile <dir>; null means the default (<userData>/profile). */
  profileDir: string | null;
  serverUrl: string;
  /** --allow-loopback-previews: link previews may fetch http://127.0.0.1 pages (tests only). */
  allowLoopbackPreviews: boolean;
  /** --offline: start with Work offline switched on (it stays on until switched off in the app). */
  workOffline: boolean;
  /** --log-level: what goes to <profile>/logs (default info). */
  logLevel: LogLevel;
  /** Why --log-level's value was refused (the app then does not start), or null. */
  logLevelProblem: string | null;
}

/**
 * Picks --profile, --server and --log-level (also `--flag=value`) and the switches --offline and
 * --allow-loopback-previews out of argv, ignoring everything else (Chromium and Electron switches,
 * the app path).
 */
export function parseLaunchOptions(argv: readonly string[], cwd: string): LaunchOptions {
  const value = (flag: string): string | undefined => {
    let found: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === flag && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) found = argv[++i];
      else if (arg.startsWith(`${flag}=`)) found = arg.slice(flag.length + 1);
    }
    return found === '' ? undefined : found;
  };
  const profile = value('--profile');
  const logLevel = parseLogLevel(value('--log-level'));
  return {
    profileDir: profile === undefined ? null : path.resolve(cwd, profile),
    serverUrl: value('--server') ?? DEFAULT_SERVER_URL,
    allowLoopbackPreviews: argv.includes('--allow-loopback-previews'),
    workOffline: argv.includes('--offline'),
    logLevel: logLevel.ok ? logLevel.level : DEFAULT_LOG_LEVEL,
    logLevelProblem: logLevel.ok ? null : logLevel.message,
  };
}

/**
 * Under an unpackaged Electron, better-sqlite3 must come from the copy rebuilt for Electron's ABI
 * (npm run electron:native); node_modules/better-sqlite3 stays built for Node. Packaged apps have
 * theirs rebuilt by electron-builder, so they use the normal module.
 */
export function nativeBindingFor(input: { isElectron: boolean; isPackaged: boolean; repoRoot: string }): string | undefined {
  if (!input.isElectron || input.isPackaged) return undefined;
  return path.join(input.repoRoot, ...ELECTRON_SQLITE_BINDING);
}

/**
 * Chromium switches that open the app to a debugger from outside (the DevTools protocol on a port
 * or a pipe). The fuses switch off Node's --inspect; these are Chromium's own, so a release refuses
 * to start with them. Chromium also reads switches with one dash (and `/` on Windows). Returns the
 * switch found, or null.
 */
export function remoteDebuggingSwitch(argv: readonly string[]): string | null {
  for (const arg of argv) {
    const match = /^(?:--?|\/)(remote-debugging-(?:port|pipe))(?:=|$)/i.exec(arg);
    if (match) return `--${match[1]!.toLowerCase()}`;
  }
  return null;
}
