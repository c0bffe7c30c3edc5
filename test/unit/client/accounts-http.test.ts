/** How the core turns the server's answers to sign-up and sign-in into the app's error codes. */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { REDIRECT_REFUSED } from '../../../sync/app-api/core-refusals.js';
import { requestSession, revokeSession, sessionRequest } from '../../../sync/client/accounts-http.js';

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

/** A server on 127.0.0.1 that answers every request with `answer` and notes what it was sent. */
async function localServer(answer: (res: ServerResponse) => void): Promise<{
  url: string;
  received: Array<{ url: string; body: string; authorization: string | undefined }>;
  close: () => Promise<void>;
}> {
  const received: Array<{ url: string; body: string; authorization: string | undefined }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        authorization: req.headers.authorization,
      });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('credentials never follow a redirect', () => {
  it('refuses a 307 or 308 to sign in, sign up or ask about sessions, and sends the password and token nowhere else', async () => {
    const elsewhere = await localServer((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    for (const status of [301, 302, 303, 307, 308]) {
      const redirecting = await localServer((res) => res.writeHead(status, { location: `${elsewhere.url}/v1/sessions` }).end());
      try {
        for (const kind of ['login', 'create'] as const) {
          const attempt = requestSession(globalThis.fetch, redirecting.url, kind, { username: 'ann', password: 'the password' });
          await expect(attempt).rejects.toMatchObject({ code: 'refused', message: REDIRECT_REFUSED });
        }
        const sessions = sessionRequest(
          globalThis.fetch,
          redirecting.url,
          'the-token',
          { method: 'GET', path: '/v1/sessions' },
          null,
        );
        await expect(sessions).rejects.toMatchObject({ code: 'refused', message: REDIRECT_REFUSED });
        // Signing out keeps the token to try again: a redirect is no answer.
        expect(await revokeSession(globalThis.fetch, redirecting.url, 'the-token')).toBe('unreachable');
        expect(redirecting.received).toHaveLength(4);
      } finally {
        await redirecting.close();
      }
    }
    expect(elsewhere.received).toEqual([]);
    await elsewhere.close();
  });
});
