/** The pure parts of the Electron host; electron itself is never loaded here (types only). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_API_METHODS } from '../../../sync/app-api/contract.js';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy, pageHeaders, SECURITY_HEADERS } from '../../../main/common/csp.js';
import { nativeBindingFor, parseLaunchOptions, remoteDebuggingSwitch } from '../../../main/electron/launch-options.js';
import { isProductionBuild } from '../../../main/electron/release-build.js';
import {
  APP_ENTRY_URL,
  externalUrlToOpen,
  isExternalUrlAllowed,
  isSameAppOrigin,
  isTrustedSenderUrl,
} from '../../../main/electron/trusted-sender.js';
import { mainWindowOptions, secureWebPreferences } from '../../../main/electron/window-options.js';
import { IPC_EVENT, IPC_INVOKE, isAppApiMethod, PRELOAD_METHODS } from '../../../preload/allowed-methods.js';

describe('isTrustedSenderUrl', () => {
  it.each([APP_ENTRY_URL, 'app://messenger/', 'app://messenger/index.html?x=1#top'])('trusts %s', (url) => {
    expect(isTrustedSenderUrl(url)).toBe(true);
    expect(isSameAppOrigin(url)).toBe(true);
  });

  it.each([
    'app://messenger',
    // Chromium reports frame URLs canonicalised (lowercase host); anything else is not ours.
    'app://MESSENGER/index.html',
    'app://messenger.evil/index.html',
    'app://messenger@evil/index.html',
    'app://user:pw@messenger/index.html',
    'app://messenger:8080/index.html',
    'app://other/index.html',
    'https://messenger/index.html',
    'http://127.0.0.1:5173/',
    'file:///work/main/dist/renderer/index.html',
    'about:blank',
    'devtools://devtools/bundled/inspector.html',
    'javascript:alert(1)',
    '',
    undefined,
    null,
    42,
  ])('does not trust %j', (url) => {
    expect(isTrustedSenderUrl(url)).toBe(false);
    expect(isSameAppOrigin(url)).toBe(false);
  });
});

describe('isExternalUrlAllowed', () => {
  it('lets only http and https links reach the system browser', () => {
    expect(isExternalUrlAllowed('https://example.com/page')).toBe(true);
    expect(isExternalUrlAllowed('http://example.com')).toBe(true);
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'app://messenger/',
      'ms-settings:',
      'not a url',
      '',
      'data:text/html,<script>alert(1)</script>',
      'mailto:someone@example.com',
      'ftp://example.com/file',
      'blob:https://example.com/uuid',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'https://bank.example@evil.example/',
      'https://user:pass@example.com/',
      'http://user:pass@x',
      'http://user@example.com/',
      'https://:pass@example.com/',
      'http://',
      '//example.com/path',
      'example.com',
      'vbscript:msgbox(1)',
      'file://example.com/share/file.exe',
      `https://example.com/${'a'.repeat(2100)}`,
      `https://example.com/${'a'.repeat(5_000_000)}`,
    ]) {
      expect(isExternalUrlAllowed(url)).toBe(false);
      expect(externalUrlToOpen(url)).toBeNull();
    }
    for (const notText of [42, null, undefined, {}, ['https://example.com/'], new URL('https://example.com/')]) {
      expect(externalUrlToOpen(notText)).toBeNull();
    }
  });

  it('hands the system browser the normalised URL it checked', () => {
    expect(externalUrlToOpen('HTTPS://Example.COM')).toBe('https://example.com/');
    expect(externalUrlToOpen('https://раз.рф/путь')).toBe('https://xn--80aoz.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C');
    expect(externalUrlToOpen('http://127.0.0.1:8080/a b')).toBe('http://127.0.0.1:8080/a%20b');
    // Sloppy but harmless forms come out in the parser's (checked) spelling.
    expect(externalUrlToOpen('https:example.com')).toBe('https://example.com/');
    expect(externalUrlToOpen(' https://example.com/\u0000')).toBe('https://example.com/');
  });
});

describe('window options', () => {
  it('locks the renderer down', () => {
    const prefs = secureWebPreferences('/app/dist/preload/preload.cjs', { release: false });
    expect(prefs).toMatchObject({
      preload: '/app/dist/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: true,
    });
    expect(mainWindowOptions('/p.cjs', { release: false }).webPreferences).toEqual(
      secureWebPreferences('/p.cjs', { release: false }),
    );
  });

  it('has no DevTools in a release (packaged, or built with --production), and has them in development', () => {
    expect(secureWebPreferences('/p.cjs', { release: true }).devTools).toBe(false);
    expect(mainWindowOptions('/p.cjs', { release: true }).webPreferences?.devTools).toBe(false);
    expect(secureWebPreferences('/p.cjs', { release: false }).devTools).toBe(true);
    // Loaded from sources (not through scripts/build.ts), nothing claims to be a production build.
    expect(isProductionBuild).toBe(false);
  });
});

describe('launch options', () => {
  it('reads --profile and --server among Electron’s own switches', () => {
    expect(parseLaunchOptions(['/usr/bin/electron', '/repo', '--no-sandbox'], '/home/me')).toEqual({
      profileDir: null,
      serverUrl: 'ws://127.0.0.1:7878',
      allowLoopbackPreviews: false,
      workOffline: false,
      logLevel: 'info',
      logLevelProblem: null,
    });
    expect(
      parseLaunchOptions(
        ['/usr/bin/electron', '/repo', '--profile', 'alice', '--server=ws://10.0.0.2:9000', '--inspect'],
        '/home/me',
      ),
    ).toEqual({
      profileDir: path.resolve('/home/me', 'alice'),
      serverUrl: 'ws://10.0.0.2:9000',
      allowLoopbackPreviews: false,
      workOffline: false,
      logLevel: 'info',
      logLevelProblem: null,
    });
    expect(parseLaunchOptions(['electron', '--profile', '--server', 'ws://x:1'], '/')).toEqual({
      profileDir: null,
      serverUrl: 'ws://x:1',
      allowLoopbackPreviews: false,
      workOffline: false,
      logLevel: 'info',
      logLevelProblem: null,
    });
    expect(parseLaunchOptions(['electron', '/repo', '--allow-loopback-previews', '--profile', 'p'], '/')).toMatchObject({
      profileDir: path.resolve('/', 'p'),
      allowLoopbackPreviews: true,
    });
  });

  it('reads --offline: start with Work offline on', () => {
    expect(parseLaunchOptions(['/opt/Messenger/messenger', '--offline', '--profile', 'p'], '/')).toMatchObject({
      profileDir: path.resolve('/', 'p'),
      workOffline: true,
    });
    expect(parseLaunchOptions(['/opt/Messenger/messenger', '--profile', 'p'], '/').workOffline).toBe(false);
  });

  it('finds the Chromium switches that would open the app to a remote debugger', () => {
    for (const argv of [
      ['/opt/Messenger/messenger', '--remote-debugging-port=9222'],
      ['/opt/Messenger/messenger', '--remote-debugging-port', '9222'],
      ['messenger', '--profile', 'p', '--remote-debugging-pipe'],
      ['messenger', '-remote-debugging-port=0'],
      ['messenger', '--REMOTE-DEBUGGING-PORT=0'],
      ['messenger.exe', '/remote-debugging-port=9222'],
    ]) {
      expect(remoteDebuggingSwitch(argv), argv.join(' ')).toMatch(/^--remote-debugging-(port|pipe)$/);
    }
    for (const argv of [
      ['messenger'],
      ['messenger', '--profile', 'remote-debugging-port'],
      ['messenger', '--remote-debugging-portal'],
      ['messenger', '--server=ws://x:1/--remote-debugging-port'],
      ['/opt/remote-debugging-port/messenger'],
    ]) {
      expect(remoteDebuggingSwitch(argv), argv.join(' ')).toBeNull();
    }
  });

  it('uses the Electron-ABI better-sqlite3 only for an unpackaged Electron', () => {
    expect(nativeBindingFor({ isElectron: true, isPackaged: false, repoRoot: '/repo' })).toBe(
      path.join('/repo', '.electron-native', 'better-sqlite3-multiple-ciphers', 'build', 'Release', 'better_sqlite3.node'),
    );
    expect(nativeBindingFor({ isElectron: true, isPackaged: true, repoRoot: '/repo' })).toBeUndefined();
    expect(nativeBindingFor({ isElectron: false, isPackaged: false, repoRoot: '/repo' })).toBeUndefined();
  });
});

describe('preload allow-list', () => {
  it('is exactly the app API', () => {
    expect([...PRELOAD_METHODS].sort()).toEqual([...APP_API_METHODS].sort());
    expect(isAppApiMethod('getDefaults')).toBe(true);
    for (const method of [
      'editMessage',
      'deleteMessage',
      'setReaction',
      'getEditHistory',
      'retryChange',
      'discardChange',
      'setTyping',
      'getActivity',
    ]) {
      expect(isAppApiMethod(method)).toBe(true);
    }
    for (const bad of ['toString', 'constructor', '__proto__', 'hasOwnProperty', '', 3, null])
      expect(isAppApiMethod(bad)).toBe(false);
    expect([IPC_INVOKE, IPC_EVENT]).toEqual(['app-api:invoke', 'app-api:event']);
  });
});

describe('content security policy', () => {
  const directives = (policy: string) =>
    new Map(
      policy
        .split(';')
        .map((d) => d.trim().replace(/\s+/g, ' '))
        .filter(Boolean)
        .map((d) => [d.split(' ')[0], d] as const),
    );

  it('is a header only: the page carries no meta policy, which would intersect with it', () => {
    const html = readFileSync(path.resolve(import.meta.dirname, '../../../renderer/index.html'), 'utf8');
    expect(html).not.toMatch(/http-equiv="Content-Security-Policy"/i);
    const header = directives(CONTENT_SECURITY_POLICY);
    expect(header.get('default-src')).toBe("default-src 'none'");
    expect(header.get('img-src')).toBe("img-src 'self' data:");
    expect(header.get('connect-src')).toBe("connect-src 'self'");
    expect(header.get('worker-src')).toBe("worker-src 'self'");
    expect(header.get('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(SECURITY_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(SECURITY_HEADERS['X-Content-Type-Options']).toBe('nosniff');
    expect(SECURITY_HEADERS['Referrer-Policy']).toBe('no-referrer');
  });

  it('lets the page load images and data from exactly the tile server set in Settings → Maps', () => {
    const policy = directives(contentSecurityPolicy('https://tile.openstreetmap.org/{z}/{x}/{y}.png'));
    expect(policy.get('img-src')).toBe("img-src 'self' data: https://tile.openstreetmap.org");
    expect(policy.get('connect-src')).toBe("connect-src 'self' https://tile.openstreetmap.org");
    expect(policy.get('script-src')).toBe("script-src 'self'");
    const local = directives(contentSecurityPolicy('http://127.0.0.1:4100/t/{z}/{x}/{y}.png'));
    expect(local.get('connect-src')).toBe("connect-src 'self' http://127.0.0.1:4100");
    // What the preference would not take never reaches the header (no injected directives).
    expect(contentSecurityPolicy("https://a.example/{z}/{x}/{y}.png; script-src 'unsafe-inline'")).toBe(CONTENT_SECURITY_POLICY);
    expect(contentSecurityPolicy('http://tiles.example/{z}/{x}/{y}.png')).toBe(CONTENT_SECURITY_POLICY);
    expect(pageHeaders(null)).toEqual({ ...SECURITY_HEADERS });
    expect(pageHeaders('https://tile.openstreetmap.org/{z}/{x}/{y}.png')['Content-Security-Policy']).toContain(
      'https://tile.openstreetmap.org',
    );
  });
});
