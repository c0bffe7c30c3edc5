/**
 * TLS served directly (--tls-cert / --tls-key): accounts over https://, sync over wss://, with the
 * test certificate (test/support/tls) trusted; nothing is served in the clear on that port.
 * SQLite only: the transport does not touch the store.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ACCOUNTS_PATH, SYNC_PATH, sessionResponse } from '../../../sync/protocol/frames.js';
import { REPO_ROOT } from '../../support/processes.js';
import { createServerHarness } from '../../support/server-harness.js';
import { SYNC_PROTOCOL } from '../../../sync/protocol/version.js';

const TLS_DIR = join(REPO_ROOT, 'test/support/tls');
const tls = { cert: readFileSync(join(TLS_DIR, 'test-server.crt')), key: readFileSync(join(TLS_DIR, 'test-server.key')) };

function postOverTls(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: tls.cert, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('TLS served by the sync server itself', () => {
  const h = createServerHarness();
  afterEach(() => h.cleanup());

  it('signs up over https and syncs over wss with the certificate it was given', async () => {
    const server = await h.startServer({ tls });
    expect(server.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const created = await postOverTls(server.httpUrl + ACCOUNTS_PATH, {
      username: 'tina',
      displayName: 'Tina',
      password: 'tina password',
    });
    expect(created.status).toBe(201);
    const { token, user } = sessionResponse.parse(created.body);
    const ws = new WebSocket(server.url + SYNC_PATH, [SYNC_PROTOCOL], {
      ca: tls.cert,
      headers: { authorization: `Bearer ${token}` },
    });
    const welcome = await new Promise<unknown>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse((data as Buffer).toString('utf8'))));
      ws.once('error', reject);
    });
    expect(welcome).toMatchObject({ type: 'welcome', user: { id: user.id } });
    ws.close();
  });

  it('is not served in the clear, and a client that does not trust the certificate is refused', async () => {
    const server = await h.startServer({ tls });
    const port = new URL(server.httpUrl).port;
    const clear = await new Promise<string>((resolve) => {
      const req = plainRequest(`http://127.0.0.1:${port}${ACCOUNTS_PATH}`, { method: 'POST' }, (res) =>
        resolve(`HTTP ${res.statusCode}`),
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end('{}');
    });
    expect(clear).not.toMatch(/^HTTP 2/);
    const untrusted = await new Promise<string>((resolve) => {
      const req = request(server.httpUrl + ACCOUNTS_PATH, { method: 'POST' }, (res) => resolve(`HTTP ${res.statusCode}`));
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end('{}');
    });
    expect(untrusted).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
