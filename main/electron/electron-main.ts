/**
 * Electron main process (built to dist/main/electron-main.cjs). A thin host: the client core runs
 * in a worker thread (dist/main/core-worker.cjs); this process serves the renderer from
 * app://messenger/, locks the window down, and relays the app API over IPC from trusted frames only.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, type IpcMainInvokeEvent } from 'electron';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { AppCallResult } from '../../sync/app-api/dispatcher.js';
import { IPC_EVENT, IPC_INVOKE } from '../../preload/allowed-methods.js';
import { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../common/csp.js';
import { builtPath, distDirFor } from '../common/paths.js';
import { contentTypeFor, resolveStaticFile } from '../common/static-files.js';
import { startCoreWorker, type CoreWorkerHandle } from '../node/core-worker-client.js';
import { nativeBindingFor, parseLaunchOptions } from './launch-options.js';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_SCHEME,
  isExternalUrlAllowed,
  isSameAppOrigin,
  isTrustedSenderUrl,
} from './trusted-sender.js';
import { mainWindowOptions } from './window-options.js';

const distDir = distDirFor(import.meta.url);
const repoRoot = path.dirname(distDir);
const rendererDir = builtPath(distDir, 'rendererDir');
const launch = parseLaunchOptions(process.argv, process.cwd());

// A separate --profile gets its own Chromium data too, so two profiles can run side by side while
// one profile can never be opened twice (two cores on one mirror).
if (launch.profileDir) app.setPath('userData', path.join(launch.profileDir, 'electron'));
const profileDir = launch.profileDir ?? path.join(app.getPath('userData'), 'profile');

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
let core: CoreWorkerHandle | null = null;
let quitting = false;

function fatal(title: string, message: string): void {
  console.error(`${title}: ${message}`);
  if (app.isReady()) dialog.showErrorBox(title, message);
  void shutdown(1);
}

async function shutdown(code: number): Promise<void> {
  if (quitting) return;
  quitting = true;
  try {
    await core?.close();
  } finally {
    app.exit(code);
  }
}

function startCore(): CoreWorkerHandle {
  const nativeBinding = nativeBindingFor({
    isElectron: Boolean(process.versions.electron),
    isPackaged: app.isPackaged,
    repoRoot,
  });
  if (nativeBinding && !existsSync(nativeBinding)) {
    throw new Error(
      `better-sqlite3 has not been built for Electron yet (${nativeBinding} is missing). Run: npm run electron:native`,
    );
  }
  return startCoreWorker(builtPath(distDir, 'coreWorker'), {
    profileDir,
    defaultServerUrl: launch.serverUrl,
    ...(nativeBinding ? { nativeBinding } : {}),
    onError: (error) => fatal('The messenger stopped', error.message),
  });
}

async function serveAppRequest(request: Request): Promise<Response> {
  const notFound = () =>
    new Response('Not Found', { status: 404, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain' } });
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return notFound();
  }
  if (url.host !== APP_HOST || (request.method !== 'GET' && request.method !== 'HEAD')) return notFound();
  const file = resolveStaticFile(rendererDir, url.pathname);
  if (!file) return notFound();
  try {
    const body = await fs.readFile(file);
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'Content-Type': contentTypeFor(file) },
    });
  } catch {
    return notFound();
  }
}

function lockDownSessions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === 'content-security-policy') delete headers[name];
    }
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
}

app.on('web-contents-created', (_event, contents) => {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalUrlAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!isSameAppOrigin(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isSameAppOrigin(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

function createWindow(): void {
  const win = new BrowserWindow(mainWindowOptions(builtPath(distDir, 'preload')));
  mainWindow = win;
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(APP_ENTRY_URL);
}

async function relay(event: IpcMainInvokeEvent, method: unknown, args: unknown): Promise<AppCallResult> {
  let frameUrl: string | undefined;
  try {
    // Null, or throwing, once the frame has navigated away or been destroyed: not trusted either way.
    frameUrl = event.senderFrame?.url;
  } catch {
    frameUrl = undefined;
  }
  if (!isTrustedSenderUrl(frameUrl)) {
    return { ok: false, error: { code: 'unauthorized', message: 'Calls are accepted only from the app itself' } };
  }
  if (!core) return { ok: false, error: { code: 'internal', message: 'The client core is not running' } };
  return core.invoke(typeof method === 'string' ? method : String(method), args);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  try {
    // Started before 'ready' so opening the mirror overlaps Electron's own start-up.
    core = startCore();
    core.subscribe((appEvent: AppEvent) => {
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT, appEvent);
    });
  } catch (error) {
    core = null;
    void app.whenReady().then(() => fatal('The messenger cannot start', error instanceof Error ? error.message : String(error)));
  }

  ipcMain.handle(IPC_INVOKE, relay);

  void app.whenReady().then(async () => {
    if (!core) return;
    lockDownSessions();
    protocol.handle(APP_SCHEME, serveAppRequest);
    try {
      await core.ready;
    } catch {
      return; // onError has already reported it and is shutting down.
    }
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Closing the core is asynchronous (it flushes and closes the mirror): hold the quit until done.
  app.on('will-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    void shutdown(0);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0));
}
