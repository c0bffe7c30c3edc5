/** --log-level, read the same way by both hosts, and carried to the core worker. */
import { describe, expect, it } from 'vitest';
import { parseLogLevel } from '../../../main/common/logging.js';
import { parseLaunchOptions } from '../../../main/electron/launch-options.js';
import { isCoreWorkerData, parseWorkerMessage } from '../../../main/node/core-worker-protocol.js';

describe('--log-level', () => {
  it('accepts pino’s levels (any case) and defaults to info', () => {
    expect(parseLogLevel(undefined)).toEqual({ ok: true, level: 'info' });
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) {
      expect(parseLogLevel(level)).toEqual({ ok: true, level });
    }
    expect(parseLogLevel('DEBUG')).toEqual({ ok: true, level: 'debug' });
  });

  it('refuses anything else with the levels it could be', () => {
    const verdict = parseLogLevel('verbose');
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.message).toBe(
      '--log-level must be one of trace, debug, info, warn, error, fatal, silent (got "verbose").',
    );
  });

  it('is read by the Electron host among its other switches (also as --log-level=…), a bad one reported', () => {
    expect(parseLaunchOptions(['/opt/Messenger/messenger', '--log-level', 'debug'], '/')).toMatchObject({
      logLevel: 'debug',
      logLevelProblem: null,
    });
    expect(parseLaunchOptions(['electron', '/repo', '--log-level=warn', '--profile', 'p'], '/')).toMatchObject({
      logLevel: 'warn',
      logLevelProblem: null,
    });
    expect(parseLaunchOptions(['electron', '/repo'], '/')).toMatchObject({ logLevel: 'info', logLevelProblem: null });
    expect(parseLaunchOptions(['electron', '--log-level', 'loud'], '/').logLevelProblem).toMatch(/^--log-level must be one of/);
  });

  it('reaches the core worker, whose log lines come back to the host', () => {
    const base = { profileDir: '/p', defaultServerUrl: 'ws://127.0.0.1:1' };
    const versions = { app: '1.0.0', electron: null, chromium: null, node: '20.19.0' };
    expect(isCoreWorkerData({ ...base, logLevel: 'debug', hostVersions: versions })).toBe(true);
    expect(isCoreWorkerData({ ...base, logLevel: 'loud' })).toBe(false);
    expect(isCoreWorkerData({ ...base, hostVersions: { ...versions, app: 1 } })).toBe(false);
    expect(parseWorkerMessage({ type: 'log', line: '{"msg":"x"}\n' })).toEqual({ type: 'log', line: '{"msg":"x"}\n' });
    expect(parseWorkerMessage({ type: 'log', line: 5 })).toBeNull();
  });
});
