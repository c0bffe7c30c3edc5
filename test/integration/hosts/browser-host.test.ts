/**
 * The browser host for real, over loopback: static files, security headers, the lock (one-time key,
 * session cookie), the bridge's origin and host checks, and calls reaching a (fake) core through the
 * app API dispatcher.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../../main/browser/browser-host.js';
import { CONTENT_SECURITY_POLICY } from '../../../main/common/csp.js';
import { wsText } from '../../../sync/node/ws-text.js';
import { BRIDGE_MAX_FRAME_BYTES, type BridgeServerFrame } from '../../../sync/app-api/bridge-frames.js';
import type { AppTransport } from '../../../sync/app-api/client.js';
import type { AppEvent } from '../../../sync/app-api/contract.js';
import { createAppDispatcher } from '../../../sync/app-api/dispatcher.js';
import { sessionCookieName } from '../../../main/browser/bridge-lock.js';
import { openBridgeSession } from './fixtures/bridge-session.js';
import { createFakeCore, FAKE_GIF, FAKE_GIF_ID, type FakeCore } from './fixtures/fake-core.js';
import { memoryFileKeys } from '../../support/file-keys.js';

let workDir: string;
let rendererDir: string;
let core: FakeCore;
let host: BrowserHost;
let own: string;
/** The main host's session cookie (`name=value`), traded for its key once in beforeAll. */
let session: string;

function transportOver(fake: FakeCore): AppTransport {
  const dispatch = createAppDispatcher(fake);
  return { invoke: (method, args) => dispatch(method, args), subscribe: (listener) => fake.subscribe(listener) };
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'browser-host-'));
  rendererDir = path.join(workDir, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Messenger</title>');
  writeFileSync(path.join(rendererDir, 'app.js'), 'console.log("app")');
  writeFileSync(path.join(rendererDir, 'app.css'), 'body{}');
  writeFileSync(path.join(rendererDir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  // A secret next to the renderer folder: traversal must never reach it.
  writeFileSync(path.join(workDir, 'secret.txt'), 'top secret');
  core = createFakeCore('ws://127.0.0.1:7878');
  host = await startBrowserHost({
    port: 0,
    rendererDir,
    core: transportOver(core),
    profileDir: path.join(workDir, 'profile'),
    fileKeys: memoryFileKeys(),
    gifBytes: (id) => core.gifBytes!(id),
  });
  own = `127.0.0.1:${host.port}`;
  session = await openBridgeSession(host.url);
});

afterAll(async () => {
  await host?.close();
  rmSync(workDir, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A raw request: the path is sent exactly as given (fetch would normalise `..` away). It carries the
 * main host's session cookie unless `session: false`.
 */
function request(
  rawPath: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer; session?: boolean; port?: number } = {},
): Promise<RawResponse> {
  const port = options.port ?? host.port;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: rawPath,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...(options.session === false ? {} : { cookie: session }), ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const sockets: WebSocket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.terminate();
});

/**
 * Opens the bridge with the given headers (the main host's session cookie unless `cookie` says
 * otherwise; null sends none); resolves with the socket or the refusal's HTTP status.
 */
function openBridge(
  headers: { origin?: string; host?: string; cookie?: string | null } = {},
  pathname = '/bridge',
  port = host.port,
): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const cookie = headers.cookie === undefined ? session : headers.cookie;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${pathname}`, {
      ...(headers.origin !== undefined ? { origin: headers.origin } : {}),
      headers: { host: headers.host ?? `127.0.0.1:${port}`, ...(cookie === null ? {} : { cookie }) },
    });
    sockets.push(ws);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

async function ownBridge(): Promise<Page> {
  const ws = await openBridge({ origin: `http://${own}` });
  if (typeof ws === 'number') throw new Error(`bridge refused with ${ws}`);
  return new Page(ws);
}

/** A page's end of the bridge: sends frames, collects replies by id and pushes. */
class Page {
  readonly pushes: AppEvent[] = [];
  private readonly replies = new Map<number, (frame: BridgeServerFrame) => void>();
  private pushWaiters: Array<() => void> = [];
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(wsText(data)) as BridgeServerFrame;
      if ('event' in frame) {
        this.pushes.push(frame.event);
        for (const wake of this.pushWaiters.splice(0)) wake();
      } else {
        this.replies.get(frame.id)?.(frame);
      }
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  reply(id: number): Promise<BridgeServerFrame> {
    return new Promise((resolve) => this.replies.set(id, resolve));
  }

  async call(id: number, method: unknown, args?: unknown) {
    const reply = this.reply(id);
    this.ws.send(JSON.stringify({ id, method, ...(args === undefined ? {} : { args }) }));
    const frame = await reply;
    if (!('reply' in frame)) throw new Error('expected a reply');
    return frame.reply;
  }

  async nextPush(count: number): Promise<AppEvent[]> {
    while (this.pushes.length < count) await new Promise<void>((resolve) => this.pushWaiters.push(resolve));
    return this.pushes.slice(0, count);
  }
}

describe('static files', () => {
  it('serves the built renderer with content types, no-store and the security headers', async () => {
    for (const [file, type, body] of [
      ['/', 'text/html; charset=utf-8', '<!doctype html><title>Messenger</title>'],
      ['/index.html', 'text/html; charset=utf-8', '<!doctype html><title>Messenger</title>'],
      ['/app.js', 'text/javascript; charset=utf-8', 'console.log("app")'],
      ['/app.css?v=1', 'text/css; charset=utf-8', 'body{}'],
      ['/assets/logo.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ] as const) {
      const res = await request(file);
      expect(res.status, file).toBe(200);
      expect(res.body).toBe(body);
      expect(res.headers['content-type']).toBe(type);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('lets the page reach the tile server set in Settings → Maps, read when the page is served', async () => {
    await core.setPreferences({ mapTileUrl: 'http://127.0.0.1:4100/tiles/{z}/{x}/{y}.png' });
    const page = await request('/');
    expect(page.headers['content-security-policy']).toContain("img-src 'self' data: http://127.0.0.1:4100;");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:4100;");
    expect(page.headers['content-security-policy']).toContain("worker-src 'self'");
    await core.setPreferences({ mapTileUrl: null });
    expect((await request('/')).headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await request('/app.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const post = await request('/app.js', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2e%2e%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/..%5csecret.txt',
    '/%00',
    '/missing.js',
    '/assets',
    '//etc/passwd',
  ])('refuses %s with 404 (and still sends the CSP)', async (rawPath) => {
    const res = await request(rawPath);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('top secret');
    expect(res.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('refuses requests for a foreign Host name (DNS rebinding)', async () => {
    const res = await request('/', { headers: { host: `evil.example:${host.port}` } });
    expect(res.status).toBe(403);
    expect((await request('/', { headers: { host: `localhost:${host.port}` } })).status).toBe(200);
  });
});

describe('the lock', () => {
  const KEY = 'a1'.repeat(32);
  const SESSION = 'b2'.repeat(32);
  const extraHosts: BrowserHost[] = [];
  afterAll(async () => {
    await Promise.all(extraHosts.map((extra) => extra.close()));
  });

  /** A host of its own (its key unspent), whose key and session come from injected randomness. */
  async function lockedHost(): Promise<BrowserHost> {
    const secrets = [KEY, SESSION];
    const local = await startBrowserHost({
      port: 0,
      rendererDir,
      core: transportOver(core),
      profileDir: path.join(workDir, 'profile'),
      fileKeys: memoryFileKeys(),
      random: {
        hex: (bytes) => {
          expect(bytes).toBe(32);
          return secrets.shift()!;
        },
      },
    });
    extraHosts.push(local);
    return local;
  }

  it('prints an address on 127.0.0.1 that carries the one-time key', async () => {
    const local = await lockedHost();
    expect(local.origin).toBe(`http://127.0.0.1:${local.port}`);
    expect(local.url).toBe(`http://127.0.0.1:${local.port}/?k=${KEY}`);
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?k=[0-9a-f]{64}$`));
  });

  it('trades the key for an HttpOnly, SameSite=Strict session cookie and sends the page to /', async () => {
    const local = await lockedHost();
    const traded = await request(`/?k=${KEY}`, { port: local.port, session: false });
    expect(traded.status).toBe(303);
    expect(traded.headers.location).toBe('/');
    expect(traded.headers['cache-control']).toBe('no-store');
    expect(traded.headers['set-cookie']).toEqual([
      `${sessionCookieName(local.port)}=${SESSION}; Path=/; HttpOnly; SameSite=Strict`,
    ]);
    const page = await request('/', {
      port: local.port,
      session: false,
      headers: { cookie: `${sessionCookieName(local.port)}=${SESSION}` },
    });
    expect(page.status).toBe(200);
    expect(page.body).toBe('<!doctype html><title>Messenger</title>');
  });

  it('takes the key once: a second exchange is refused, while the cookie keeps working', async () => {
    const local = await lockedHost();
    const cookie = await openBridgeSession(local.url);
    const again = await request(`/?k=${KEY}`, { port: local.port, session: false });
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toContain('used already');
    // The browser that traded it opens the address again, or reloads: it just goes on.
    const reopened = await request(`/?k=${KEY}`, { port: local.port, session: false, headers: { cookie } });
    expect(reopened.status).toBe(303);
    expect(reopened.headers['set-cookie']).toBeUndefined();
    expect((await request('/', { port: local.port, session: false, headers: { cookie } })).status).toBe(200);
    expect(await openBridge({ origin: local.origin, cookie }, '/bridge', local.port)).toBeInstanceOf(WebSocket);
  });

  it('refuses a wrong key without spending the right one', async () => {
    const local = await lockedHost();
    for (const wrong of ['b2'.repeat(32), 'a1'.repeat(31), `${KEY}0`, '', KEY.toUpperCase()]) {
      const refused = await request(`/?k=${wrong}`, { port: local.port, session: false });
      expect(refused.status, wrong).toBe(401);
      expect(refused.headers['set-cookie']).toBeUndefined();
    }
    // Only a GET of the page trades it: HEAD (a link checker) and other paths do not.
    expect((await request(`/?k=${KEY}`, { port: local.port, session: false, method: 'HEAD' })).status).toBe(401);
    expect((await request(`/index.html?k=${KEY}`, { port: local.port, session: false })).status).toBe(401);
    expect((await request(`/?k=${KEY}`, { port: local.port, session: false })).status).toBe(303);
  });

  it('refuses pages, files and imports without the session cookie', async () => {
    const sha = 'a'.repeat(64);
    for (const [rawPath, method] of [
      ['/', 'GET'],
      ['/index.html', 'GET'],
      ['/app.js', 'GET'],
      [`/files/${sha}`, 'GET'],
      [`/files/${sha}`, 'HEAD'],
      ['/files', 'POST'],
    ] as const) {
      const refused = await request(rawPath, { method, session: false, headers: { origin: `http://${own}` } });
      expect(refused.status, `${method} ${rawPath}`).toBe(401);
      expect(refused.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      if (method === 'GET') expect(refused.body).toContain('open the address the messenger printed');
    }
    for (const cookie of [
      `${sessionCookieName(host.port)}=${'0'.repeat(64)}`,
      `${sessionCookieName(host.port + 1)}=${session.split('=')[1]}`,
      session.split('=')[1]!,
    ]) {
      expect((await request('/', { session: false, headers: { cookie } })).status, cookie).toBe(401);
    }
    expect((await request('/', { headers: { cookie: `other=1; ${session}; more=2` } })).status).toBe(200);
  });

  it('refuses the bridge without the session cookie, even with the right Origin and Host', async () => {
    expect(await openBridge({ origin: `http://${own}`, cookie: null })).toBe(401);
    expect(await openBridge({ origin: `http://${own}`, cookie: `${sessionCookieName(host.port)}=${'0'.repeat(64)}` })).toBe(401);
    expect(await openBridge({ origin: `http://localhost:${host.port}`, host: `localhost:${host.port}`, cookie: 'x=1' })).toBe(
      401,
    );
    // A fresh host's key has not been traded yet: nobody gets in.
    const local = await lockedHost();
    expect(await openBridge({ origin: local.origin, cookie: null }, '/bridge', local.port)).toBe(401);
    expect(await openBridge({ origin: local.origin }, '/bridge', local.port)).toBe(401); // another host's cookie
  });
});

describe('bridge upgrade', () => {
  it('accepts the host’s own origin, on 127.0.0.1 and localhost', async () => {
    expect(await openBridge({ origin: `http://127.0.0.1:${host.port}` })).toBeInstanceOf(WebSocket);
    expect(await openBridge({ origin: `http://localhost:${host.port}`, host: `localhost:${host.port}` })).toBeInstanceOf(
      WebSocket,
    );
  });

  it('refuses a foreign Origin with 403', async () => {
    expect(await openBridge({ origin: 'http://evil.example' })).toBe(403);
    expect(await openBridge({ origin: `http://127.0.0.1:${host.port + 1}` })).toBe(403);
  });

  it('refuses a request without Origin with 403', async () => {
    expect(await openBridge({})).toBe(403);
  });

  it('refuses a foreign Host header with 403 even with a matching Origin', async () => {
    expect(await openBridge({ origin: `http://evil.example:${host.port}`, host: `evil.example:${host.port}` })).toBe(403);
    expect(await openBridge({ origin: `http://127.0.0.1:${host.port}`, host: `evil.example:${host.port}` })).toBe(403);
  });

  it('upgrades nothing but /bridge', async () => {
    expect(await openBridge({ origin: `http://${own}` }, '/other')).toBe(404);
  });
});

describe('bridge calls', () => {
  it('reach the core through the dispatcher; bad calls come back as invalid_argument', async () => {
    const page = await ownBridge();
    expect(await page.call(1, 'getDefaults', {})).toEqual({ ok: true, result: { serverUrl: 'ws://127.0.0.1:7878' } });
    expect(await page.call(2, 'getConnectionState')).toEqual({ ok: true, result: 'offline' });

    const invalid = await page.call(3, 'sendMessage', { conversationId: 'c1', text: 42 });
    expect(invalid.ok).toBe(false);
    if (!invalid.ok) expect(invalid.error.code).toBe('invalid_argument');

    const extraKey = await page.call(4, 'getDefaults', { sneaky: true });
    expect(!extraKey.ok && extraKey.error.code).toBe('invalid_argument');

    const unknown = await page.call(5, 'dropEverything', {});
    expect(!unknown.ok && unknown.error.code).toBe('invalid_argument');

    expect(await page.call(6, 'startConversation', { username: 'bob' })).toEqual({
      ok: false,
      error: { code: 'not_signed_in', message: 'Sign in first' },
    });
    // Only the valid calls reached the core (besides the preferences: the host reads them for the
    // page's policy, and the tile server test sets one).
    const pageCalls = core.calls.map((c) => c.method).filter((method) => !method.endsWith('Preferences'));
    expect(pageCalls).toEqual(['getDefaults', 'getConnectionState', 'startConversation']);
  });

  it('survives malformed frames and keeps answering', async () => {
    const page = await ownBridge();
    page.sendRaw('this is not json');
    page.sendRaw('[1,2,3]');
    page.sendRaw('{"method":"getDefaults"}');
    page.sendRaw(Buffer.from([0xff, 0x00, 0x13]), true);
    const noMethod = page.reply(10);
    page.sendRaw('{"id":10,"args":{}}');
    const frame = await noMethod;
    expect('reply' in frame && !frame.reply.ok && frame.reply.error.code).toBe('invalid_argument');
    expect(await page.call(11, 'getSession', {})).toEqual({ ok: true, result: null });
  });

  it('closes a socket that sends an oversized frame, and keeps serving others', async () => {
    const greedy = await ownBridge();
    greedy.sendRaw('x'.repeat(BRIDGE_MAX_FRAME_BYTES + 1));
    expect(await greedy.closed).toBe(1009);
    const page = await ownBridge();
    expect(await page.call(1, 'getDefaults', {})).toEqual({ ok: true, result: { serverUrl: 'ws://127.0.0.1:7878' } });
    expect((await request('/')).status).toBe(200);
  });

  it('pushes core events to every connected page', async () => {
    const a = await ownBridge();
    const b = await ownBridge();
    await a.call(1, 'markRead', { conversationId: 'c1' });
    core.emit({ type: 'connection', state: 'online' });
    const expected: AppEvent[] = [{ type: 'conversations' }, { type: 'connection', state: 'online' }];
    expect(await a.nextPush(2)).toEqual(expected);
    expect(await b.nextPush(2)).toEqual(expected);
  });
});

describe('files', () => {
  const bytes = Buffer.from('attachment bytes, 34 of them here!');
  const post = (headers: Record<string, string>) => request('/files', { method: 'POST', headers, body: bytes });

  it('imports a file posted by its own page and serves it back, by range too', async () => {
    const created = await post({ origin: `http://${own}` });
    expect(created.status).toBe(201);
    const stored = JSON.parse(created.body) as { sha256: string; size: number };
    expect(stored.size).toBe(bytes.length);
    const whole = await request(`/files/${stored.sha256}`);
    expect(whole.status).toBe(200);
    expect(whole.body).toBe(bytes.toString());
    expect(whole.headers['content-type']).toBe('application/octet-stream');
    expect(whole.headers['x-content-type-options']).toBe('nosniff');
    expect(whole.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    const part = await request(`/files/${stored.sha256}`, { headers: { range: 'bytes=0-9' } });
    expect(part.status).toBe(206);
    expect(part.body).toBe('attachment');
    expect((await request(`/files/${stored.sha256}`, { headers: { range: 'bytes=999-' } })).status).toBe(416);
    const saved = await request(`/files/${stored.sha256}?save=${encodeURIComponent('a/b.txt')}`);
    expect(saved.headers['content-disposition']).toBe(`attachment; filename="a_b.txt"; filename*=UTF-8''a_b.txt`);
  });

  it('refuses an import from another origin, without Origin, or for a foreign Host', async () => {
    expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await post({})).status).toBe(403);
    expect((await post({ origin: `http://localhost:${host.port}` })).status).toBe(403); // not the Host it was sent to
    expect((await post({ origin: 'http://evil.example:80', host: 'evil.example:80' })).status).toBe(403);
  });

  it('answers 404 to names that are not a SHA-256, and 403 to a foreign Host', async () => {
    for (const name of ['x', '..%2f..%2fsecret.txt', '%2e%2e', 'A'.repeat(64)]) {
      const response = await request(`/files/${name}`);
      expect(response.status, name).toBe(404);
      expect(response.body).not.toContain('top secret');
    }
    expect((await request(`/files/${'a'.repeat(64)}`, { headers: { host: 'evil.example' } })).status).toBe(403);
  });
});

describe('GIF search results', () => {
  it('serves a result’s bytes from the core as image/gif under the page’s own policy', async () => {
    const response = await request(`/gifs/${FAKE_GIF_ID}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('image/gif');
    expect(response.headers['content-length']).toBe(String(FAKE_GIF.length));
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    // The body is read as text here: its header is enough to know the GIF came through.
    expect(response.body.startsWith('GIF89a')).toBe(true);
    const head = await request(`/gifs/${FAKE_GIF_ID}`, { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
  });

  it('answers an unknown id 404, never asks the core about a malformed one, and refuses writes and foreign Hosts', async () => {
    expect((await request('/gifs/nobody-has-this')).status).toBe(404);
    const asked = core.calls.filter((call) => call.method === 'gifBytes').length;
    for (const name of ['..%2f..%2fsecret.txt', '%2e%2e', 'a%2Fb', '%E0%A4%A', 'x'.repeat(65)]) {
      const response = await request(`/gifs/${name}`);
      expect(response.status, name).toBe(404);
      expect(response.body).not.toContain('top secret');
    }
    expect(core.calls.filter((call) => call.method === 'gifBytes').length).toBe(asked);
    expect((await request(`/gifs/${FAKE_GIF_ID}`, { method: 'POST', headers: { origin: `http://${own}` } })).status).toBe(405);
    expect((await request(`/gifs/${FAKE_GIF_ID}`, { headers: { host: 'evil.example' } })).status).toBe(403);
  });
});

describe('close', () => {
  it('disconnects pages, stops listening and unsubscribes from the core', async () => {
    const fake = createFakeCore('ws://127.0.0.1:7878');
    const local = await startBrowserHost({ port: 0, rendererDir, core: transportOver(fake) });
    const ws = new WebSocket(`ws://127.0.0.1:${local.port}/bridge`, {
      origin: `http://127.0.0.1:${local.port}`,
      headers: { cookie: await openBridgeSession(local.url) },
    });
    sockets.push(ws);
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await local.close();
    await closed;
    fake.emit({ type: 'conversations' }); // must not throw: the host is unsubscribed
    await expect(
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: local.port, path: '/' }, resolve);
        req.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
