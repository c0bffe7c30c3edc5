/**
 * The real electron-main.ts, bundled with a fake `electron` module (fixtures/fake-electron.ts) and
 * run under Node: checks what it registers (scheme, IPC, permissions, navigation guards), that the
 * app:// handler serves dist/renderer with the CSP and refuses traversal, and that IPC from an
 * untrusted frame is refused while a trusted one reaches the real core worker. Electron itself is
 * never loaded.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../../main/common/csp.js';
import { secureWebPreferences } from '../../../main/electron/window-options.js';
import { isPlainDatabaseFile } from '../../../sync/node/database-key.js';
import { IPC_ASKING_LOCATION, IPC_COPY_TEXT } from '../../../preload/allowed-methods.js';
import { buildTestDist } from './fixtures/build-dist.js';
import type { AppCallResult } from '../../../sync/app-api/dispatcher.js';
import type { FakeElectronGlobals, FakeElectronRecord } from './fixtures/fake-electron.js';

let distDir: string;
let removeDist: () => void;
let userData: string;
let fake: FakeElectronRecord;
const signalsBefore = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };

beforeAll(async () => {
  userData = mkdtempSync(path.join(tmpdir(), 'electron-main-'));
  ({ distDir, remove: removeDist } = await buildTestDist());
  // Something next to the renderer folder that app:// must never reach.
  writeFileSync(path.join(distDir, 'secret.txt'), 'top secret');
  const bundle = path.join(distDir, 'main', 'electron-main-under-test.cjs');
  await esbuild.build({
    entryPoints: [path.resolve(import.meta.dirname, '../../../main/electron/electron-main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    alias: { electron: path.join(import.meta.dirname, 'fixtures', 'fake-electron.ts') },
    external: ['better-sqlite3-multiple-ciphers', 'ws'],
    banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__import_meta_url' },
    logLevel: 'warning',
  });
  const fakeGlobals = globalThis as FakeElectronGlobals;
  fakeGlobals.__fakeElectronUserData = userData;
  createRequire(import.meta.url)(bundle);
  if (!fakeGlobals.__fakeElectron) throw new Error('The bundle did not load the fake electron module');
  fake = fakeGlobals.__fakeElectron;
  fake.resolveReady();
  // The window is created once the core worker is ready.
  while (fake.windows.length === 0 && fake.errorBoxes.length === 0) await new Promise((resolve) => setImmediate(resolve));
});

afterAll(async () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!signalsBefore[signal].includes(listener)) process.off(signal, listener);
    }
  }
  rmSync(userData, { recursive: true, force: true });
  removeDist?.();
});

describe('electron main (with a fake electron module)', () => {
  it('registers app:// as a privileged scheme, sandboxes, and denies every permission', () => {
    expect(fake.errorBoxes).toEqual([]);
    expect(fake.sandboxEnabled).toBe(true);
    expect(fake.privilegedSchemes).toHaveLength(1);
    expect(fake.privilegedSchemes[0]).toMatchObject({ scheme: 'app', privileges: { standard: true, secure: true } });
    let granted: boolean | undefined;
    fake.permissionRequestHandler!({}, 'media', (allow: boolean) => (granted = allow), {});
    expect(granted).toBe(false);
    expect(fake.permissionCheckHandler!({}, 'notifications', 'app://messenger', {})).toBe(false);
    expect(fake.devicePermissionHandler!({})).toBe(false);
  });

  it('grants the microphone alone, to the app page alone; streams app://; lets only stored files download', () => {
    expect(fake.privilegedSchemes[0]).toMatchObject({ privileges: { stream: true } });
    const ask = (permission: string, details: unknown) => {
      let granted: boolean | undefined;
      fake.permissionRequestHandler!({}, permission, (allow: boolean) => (granted = allow), details);
      return granted;
    };
    expect(ask('media', { mediaTypes: ['audio'], requestingUrl: 'app://messenger/index.html' })).toBe(true);
    expect(ask('media', { mediaTypes: ['audio', 'video'], requestingUrl: 'app://messenger/index.html' })).toBe(false);
    expect(ask('media', { mediaTypes: ['audio'], requestingUrl: 'https://evil.example/' })).toBe(false);
    expect(ask('notifications', { requestingUrl: 'app://messenger/index.html' })).toBe(false);
    expect(fake.permissionCheckHandler!({}, 'media', 'app://messenger', { mediaType: 'audio' })).toBe(true);
    expect(fake.permissionCheckHandler!({}, 'media', 'app://messenger', { mediaType: 'video' })).toBe(false);

    const download = (url: string) => {
      let prevented = false;
      fake.sessionListeners.get('will-download')!({ preventDefault: () => (prevented = true) }, { getURL: () => url });
      return !prevented;
    };
    expect(download(`app://messenger/files/${'b'.repeat(64)}?save=a.txt`)).toBe(true);
    expect(download('https://evil.example/payload.exe')).toBe(false);
  });

  it('routes app://messenger/files to the profile’s attachment store', async () => {
    const handler = fake.protocolHandlers.get('app')!;
    const bytes = Buffer.from('a voice message, say');
    const created = await handler(new Request('app://messenger/files', { method: 'POST', body: bytes }));
    expect(created.status).toBe(201);
    const stored = (await created.json()) as { sha256: string; size: number };
    expect(stored.size).toBe(bytes.length);
    expect(existsSync(path.join(userData, 'profile', 'attachments', stored.sha256))).toBe(true);

    const whole = await handler(new Request(`app://messenger/files/${stored.sha256}`));
    expect(whole.status).toBe(200);
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await handler(new Request(`app://messenger/files/${stored.sha256}`, { headers: { range: 'bytes=2-6' } }));
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('voice');
    const head = await handler(new Request(`app://messenger/files/${stored.sha256}`, { method: 'HEAD' }));
    expect(head.headers.get('content-length')).toBe(String(bytes.length));

    const foreign = await handler(
      new Request('app://messenger/files', { method: 'POST', body: bytes, headers: { origin: 'https://evil.example' } }),
    );
    expect(foreign.status).toBe(403);
    expect((await handler(new Request('app://messenger/files/..%2f..%2fsecret.txt'))).status).toBe(404);
    expect((await handler(new Request(`app://other/files/${stored.sha256}`))).status).toBe(404);
  });

  it('routes app://messenger/gifs to the core, which asks the server only for a signed-in person', async () => {
    const handler = fake.protocolHandlers.get('app')!;
    const signedOut = await handler(new Request('app://messenger/gifs/cat'));
    expect(signedOut.status).toBe(401);
    expect(await signedOut.json()).toEqual({ code: 'gif_unavailable' });
    expect((await handler(new Request('app://messenger/gifs/..%2f..%2fsecret.txt'))).status).toBe(404);
    expect((await handler(new Request('app://messenger/gifs/cat', { method: 'POST', body: 'x' }))).status).toBe(405);
  });

  it('opens one locked-down window on app://messenger/ with the built preload, without DevTools once packaged', () => {
    expect(fake.windows).toHaveLength(1);
    const window = fake.windows[0]!;
    expect(window.loadedUrl).toBe('app://messenger/index.html');
    // The fake reports a packaged app.
    const webPreferences = (window.options as { webPreferences?: { devTools?: boolean } }).webPreferences;
    expect(webPreferences).toEqual(secureWebPreferences(path.join(distDir, 'preload', 'preload.cjs'), { release: true }));
    expect(webPreferences?.devTools).toBe(false);
  });

  it('serves dist/renderer over app:// with the CSP, and refuses traversal and other hosts', async () => {
    const handler = fake.protocolHandlers.get('app')!;
    const index = await handler(new Request('app://messenger/index.html'));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>Fixture</title>');
    expect((await handler(new Request('app://messenger/app.js'))).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    // The emoji picker's data, copied by the build, comes from the app itself (connect-src 'self').
    const emojiData = await handler(new Request('app://messenger/emoji/en/messages.json'));
    expect(emojiData.status).toBe(200);
    expect(emojiData.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await emojiData.json()) as { groups: unknown[] }).groups.length).toBeGreaterThan(5);
    // maplibre and its worker, copied by the build, are modules from the app itself (worker-src 'self').
    const worker = await handler(new Request('app://messenger/maplibre/maplibre-gl-worker.mjs'));
    expect(worker.status).toBe(200);
    expect(worker.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(worker.headers.get('content-security-policy')).toContain("worker-src 'self'");
    for (const url of [
      'app://messenger/..%2fsecret.txt',
      'app://messenger/..%2F..%2Fpackage.json',
      'app://messenger/%2e%2e%5csecret.txt',
      'app://other/index.html',
      'app://messenger/missing.js',
    ]) {
      const response = await handler(new Request(url));
      expect(response.status, url).toBe(404);
      expect(await response.text()).not.toContain('top secret');
    }
  });

  it('replaces any CSP header on responses with its own', () => {
    let result: unknown;
    fake.headersReceived!(
      { responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] } },
      (response: unknown) => (result = response),
    );
    expect(result).toEqual({ responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  it('grants the position to the app page only while it says it asks, and only its own frames may say so', async () => {
    const ask = () => {
      let granted: boolean | undefined;
      fake.permissionRequestHandler!({}, 'geolocation', (allow: boolean) => (granted = allow), {
        requestingUrl: 'app://messenger/index.html',
      });
      return granted;
    };
    const asking = fake.ipcHandlers.get(IPC_ASKING_LOCATION)!;
    const trusted = { senderFrame: { url: 'app://messenger/index.html' } };
    expect(ask()).toBe(false);
    await asking({ senderFrame: { url: 'https://evil.example/' } }, true);
    expect(ask()).toBe(false);
    await asking(trusted, 'yes');
    expect(ask()).toBe(false);
    await asking(trusted, true);
    expect(ask()).toBe(true);
    expect(fake.permissionCheckHandler!({}, 'geolocation', 'app://messenger', {})).toBe(true);
    await asking(trusted, false);
    expect(ask()).toBe(false);
  });

  it('writes the clipboard only for the app’s own frames, and only text of a sane length', async () => {
    const copy = fake.ipcHandlers.get(IPC_COPY_TEXT)!;
    const trusted = { senderFrame: { url: 'app://messenger/index.html' } };
    expect(await copy(trusted, 'abcd 0123')).toBe(true);
    expect(await copy({ senderFrame: { url: 'https://evil.example/' } }, 'stolen')).toBe(false);
    expect(await copy(trusted, 'x'.repeat(100_000))).toBe(false);
    expect(await copy(trusted, 42)).toBe(false);
    expect(fake.copied).toEqual(['abcd 0123']);
  });

  it('relays IPC only from the app’s own frames, to the real core worker', async () => {
    const invoke = fake.ipcHandlers.get('app-api:invoke')!;
    const trusted = { senderFrame: { url: 'app://messenger/index.html' } };
    expect(await invoke(trusted, 'getDefaults', {})).toEqual({ ok: true, result: { serverUrl: 'ws://127.0.0.1:7878' } });
    const invalid = (await invoke(trusted, 'sendMessage', { conversationId: 'c', text: 5 })) as AppCallResult;
    expect(invalid.ok === false && invalid.error.code).toBe('invalid_argument');

    for (const event of [
      { senderFrame: { url: 'https://evil.example/' } },
      { senderFrame: { url: 'app://messenger.evil/index.html' } },
      { senderFrame: null },
      {
        senderFrame: {
          get url(): string {
            throw new Error('Render frame was disposed');
          },
        },
      },
    ]) {
      expect(await invoke(event, 'getDefaults', {})).toEqual({
        ok: false,
        error: { code: 'unauthorized', message: 'Calls are accepted only from the app itself' },
      });
    }
  });

  it('denies new windows (opening http/https links externally), foreign navigation and webviews', () => {
    const contents = {
      windowOpenHandler: null as null | ((details: { url: string }) => unknown),
      listeners: new Map<string, (...args: unknown[]) => void>(),
      setWindowOpenHandler(handler: (details: { url: string }) => unknown) {
        this.windowOpenHandler = handler;
      },
      on(event: string, listener: (...args: unknown[]) => void) {
        this.listeners.set(event, listener);
      },
    };
    fake.app.emit('web-contents-created', {}, contents);
    // Every request for a new window is denied; only checked http(s) links reach the system browser,
    // in the normalised form that was checked.
    for (const url of [
      'https://example.com/a',
      'HTTP://Example.com',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'mailto:someone@example.com',
      'smb://host/share',
      'https://bank.example@evil.example/',
      'app://messenger/index.html',
      'about:blank',
      '',
    ]) {
      expect(contents.windowOpenHandler!({ url })).toEqual({ action: 'deny' });
    }
    expect(fake.openedExternally).toEqual(['https://example.com/a', 'http://example.com/']);

    const prevented = (event: string, url?: string) => {
      let flag = false;
      contents.listeners.get(event)!({ preventDefault: () => (flag = true) }, url);
      return flag;
    };
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-navigate', 'app://messenger/index.html')).toBe(false);
    expect(prevented('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(prevented('will-attach-webview')).toBe(true);
  });

  it('encrypts the mirror with a key wrapped by the OS keychain (safeStorage), never kept bare', () => {
    const profile = path.join(userData, 'profile');
    expect(readFileSync(path.join(profile, 'mirror.key.safe'), 'latin1')).toMatch(/^fake-keychain:/);
    expect(existsSync(path.join(profile, 'mirror.key'))).toBe(false);
    expect(isPlainDatabaseFile(path.join(profile, 'mirror.sqlite'))).toBe(false);
  });

  it('holds the quit until the core worker has closed, then exits 0', async () => {
    let prevented = false;
    fake.app.emit('will-quit', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    while (fake.exitCodes.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(fake.exitCodes).toEqual([0]);
    const invoke = fake.ipcHandlers.get('app-api:invoke')!;
    const after = (await invoke({ senderFrame: { url: 'app://messenger/index.html' } }, 'getDefaults', {})) as AppCallResult;
    expect(after.ok === false && after.error.code).toBe('internal');
  });
});
