/** How the core turns the server's answers to sign-up and sign-in into the app's error codes. */
import { describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { requestSession } from '../../../sync/client/accounts-http.js';

function answering(status: number, body: unknown): typeof fetch {
  return async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

async function codeOf(status: number, body: unknown): Promise<string> {
  try {
    await requestSession(answering(status, body), 'http://server', 'login', { username: 'ann', password: 'x' });
  } catch (error) {
    if (error instanceof AppApiError) return error.code;
    throw error;
  }
  throw new Error('It succeeded');
}

describe('requestSession', () => {
  it('names a busy or rate-limited server as such, apart from wrong credentials and other refusals', async () => {
    expect(await codeOf(503, { code: 'rate_limited', message: 'busy' })).toBe('rate_limited');
    expect(await codeOf(429, { code: 'rate_limited', message: 'too many' })).toBe('rate_limited');
    expect(await codeOf(401, { code: 'unauthorized', message: 'wrong' })).toBe('unauthorized');
    expect(await codeOf(403, { code: 'forbidden', message: 'no' })).toBe('refused');
  });
});
