import type { z } from 'zod';
import { AppApiError } from '../app-api/contract.js';
import { REDIRECT_REFUSED } from '../app-api/core-refusals.js';
import {
  ACCOUNTS_PATH,
  CURRENT_SESSION_PATH,
  SESSIONS_PATH,
  httpErrorResponse,
  sessionResponse,
  type SessionResponse,
} from '../protocol/frames.js';

type Fetch = typeof globalThis.fetch;

/**
 * Every request here carries a password or a token, so none follows a redirect: a 307 or 308 would
 * send the same body (the password) to wherever the answer points. A redirect is refused instead.
 */
const NO_REDIRECTS = { redirect: 'manual' } as const;

function isRedirect(response: Response): boolean {
  return response.status >= 300 && response.status < 400;
}

async function refuseRedirect(response: Response): Promise<void> {
  if (!isRedirect(response)) return;
  await response.body?.cancel();
  throw new AppApiError('refused', REDIRECT_REFUSED);
}

/** Account creation and log-in: plain HTTPS requests, before any WebSocket exists. */
export async function requestSession(
  fetchImpl: Fetch,
  httpBase: string,
  kind: 'create' | 'login',
  body: Record<string, string>,
): Promise<SessionResponse> {
  let response: Response;
  try {
    response = await fetchImpl(`${httpBase}${kind === 'create' ? ACCOUNTS_PATH : SESSIONS_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
      ...NO_REDIRECTS,
    });
  } catch {
    throw new AppApiError('offline', `Can't reach the server at ${httpBase}. Check the address and your connection.`);
  }
  await refuseRedirect(response);
  const payload: unknown = await response.json().catch(() => null);
  if (response.ok) {
    const parsed = sessionResponse.safeParse(payload);
    if (parsed.success) return parsed.data;
    throw new AppApiError('internal', 'The server answered with something this app does not understand.');
  }
  const error = httpErrorResponse.safeParse(payload);
  // A code, never the server's sentence: the renderer puts codes in words.
  const message = error.success ? (error.data.reason ?? error.data.code) : `http_${response.status}`;
  if (response.status === 401) throw new AppApiError('unauthorized', message);
  if (response.status === 409) throw new AppApiError('conflict', message);
  if (error.success && error.data.reason === 'too_many_devices') throw new AppApiError('too_many_devices', message);
  if (response.status === 429 || (error.success && error.data.code === 'rate_limited')) {
    throw new AppApiError('rate_limited', message);
  }
  if (response.status === 400 || response.status === 413) throw new AppApiError('invalid_argument', message);
  throw new AppApiError('refused', message);
}

/**
 * Revokes a session on the server (signing out). `revoked` also when the server no longer knows the
 * token (401: revoked or expired already); `unreachable` when the server could not be asked or
 * failed, so the caller keeps the token to try again.
 */
export async function revokeSession(fetchImpl: Fetch, httpBase: string, token: string): Promise<'revoked' | 'unreachable'> {
  try {
    const response = await fetchImpl(`${httpBase}${CURRENT_SESSION_PATH}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(15_000),
      ...NO_REDIRECTS,
    });
    await response.body?.cancel();
    // A redirect is no answer: the token is kept to try again.
    return response.status === 204 || response.status === 401 ? 'revoked' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}

/**
 * One request about the signed-in person's sessions, with their token; the answer checked with
 * `schema` (null for a 204). Refusals become AppApiErrors with the server's code and reason.
 */
export async function sessionRequest<T>(
  fetchImpl: Fetch,
  httpBase: string,
  token: string,
  request: { method: 'GET' | 'DELETE' | 'PUT'; path: string; body?: unknown },
  schema: z.ZodType<T> | null,
): Promise<T | null> {
  let response: Response;
  try {
    response = await fetchImpl(`${httpBase}${request.path}`, {
      method: request.method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(15_000),
      ...NO_REDIRECTS,
    });
  } catch {
    throw new AppApiError('offline', `Can't reach the server at ${httpBase}.`);
  }
  await refuseRedirect(response);
  if (response.status === 204 || schema === null) {
    await response.body?.cancel();
    if (response.ok) return null;
  }
  const payload: unknown = await response.json().catch(() => null);
  if (response.ok && schema) {
    const parsed = schema.safeParse(payload);
    if (parsed.success) return parsed.data;
    throw new AppApiError('internal', 'The server answered with something this app does not understand.');
  }
  const error = httpErrorResponse.safeParse(payload);
  // A code, never the server's sentence: the renderer puts codes in words.
  const message = error.success ? (error.data.reason ?? error.data.code) : `http_${response.status}`;
  if (response.status === 401) throw new AppApiError('unauthorized', message);
  if (response.status === 404) throw new AppApiError('not_found', message);
  if (response.status === 429 || (error.success && error.data.code === 'rate_limited'))
    throw new AppApiError('rate_limited', message);
  if (response.status === 400) throw new AppApiError('invalid_argument', message);
  throw new AppApiError('refused', message);
}
