import { AppApiError } from '../app-api/contract.js';
import { ACCOUNTS_PATH, SESSIONS_PATH, httpErrorResponse, sessionResponse, type SessionResponse } from '../protocol/frames.js';

type Fetch = typeof globalThis.fetch;

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
    });
  } catch {
    throw new AppApiError('offline', `Can't reach the server at ${httpBase}. Check the address and your connection.`);
  }
  const payload: unknown = await response.json().catch(() => null);
  if (response.ok) {
    const parsed = sessionResponse.safeParse(payload);
    if (parsed.success) return parsed.data;
    throw new AppApiError('internal', 'The server answered with something this app does not understand.');
  }
  const error = httpErrorResponse.safeParse(payload);
  const message = error.success ? error.data.message : `The server refused (HTTP ${response.status}).`;
  if (response.status === 401) throw new AppApiError('unauthorized', message);
  if (response.status === 409) throw new AppApiError('conflict', message);
  if (response.status === 429 || (error.success && error.data.code === 'rate_limited')) {
    throw new AppApiError('rate_limited', message);
  }
  if (response.status === 400 || response.status === 413) throw new AppApiError('invalid_argument', message);
  throw new AppApiError('refused', message);
}
