import { z } from 'zod';
import { APP_API_METHODS, AppApiError, appApiArgs, type AppApi, type AppApiMethod, type AppErrorPayload } from './contract.js';
import { isDiskFull } from './disk-full.js';

export type AppCallResult = { ok: true; result: unknown } | { ok: false; error: AppErrorPayload };

function isMethod(value: unknown): value is AppApiMethod {
  return typeof value === 'string' && (APP_API_METHODS as string[]).includes(value);
}

/** What was called, for the error message. Not String(value): some objects throw when converted. */
function describeMethod(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 64) : `(a ${typeof value})`;
}

/**
 * The core's side of the contract: takes an untrusted (method, args) pair from any transport,
 * validates both, and calls the implementation. Never throws; every failure becomes an error
 * payload the renderer can show.
 */
export function createAppDispatcher(api: AppApi): (method: unknown, args: unknown) => Promise<AppCallResult> {
  return async (method, args) => {
    if (!isMethod(method)) {
      return { ok: false, error: { code: 'invalid_argument', message: `Unknown method ${describeMethod(method)}` } };
    }
    let parsed: ReturnType<(typeof appApiArgs)[AppApiMethod]['safeParse']>;
    try {
      parsed = appApiArgs[method].safeParse(args ?? {});
    } catch {
      // Only an in-process caller can hand over an object that throws when read (a getter, a proxy).
      return { ok: false, error: { code: 'invalid_argument', message: `${method}: the arguments could not be read` } };
    }
    if (!parsed.success) {
      return { ok: false, error: { code: 'invalid_argument', message: `${method}: ${z.prettifyError(parsed.error)}` } };
    }
    try {
      const call = api[method] as (this: AppApi, a: unknown) => Promise<unknown>;
      return { ok: true, result: await call.call(api, parsed.data) };
    } catch (error) {
      if (error instanceof AppApiError) return { ok: false, error: { code: error.code, message: error.message } };
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: { code: isDiskFull(error) ? 'disk_full' : 'internal', message } };
    }
  };
}
