/**
 * Electron main process (built to dist/main/electron-main.cjs). A thin host: the client core runs
 * in a worker thread (dist/main/core-worker.cjs); this process serves the renderer and this
 * profile's attachment store (app://messenger/files/…, see main/common/file-gateway.ts) from
 * app://messenger/, locks the window down, and relays the app API over IPC from trusted frames only.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  app,
  BrowserWindow,
  clipboard,
  desktopCapturer,
  dialog,
  ipcMain,
  protocol,
  safeStorage,
  session,
  shell,
  type IpcMainInvokeEvent,
} from 'electron';
import { createAppApiClient } from '../../sync/app-api/client.js';
import type { AppEvent } from '../../sync/app-api/contract.js';
import type { AppCallResult } from '../../sync/app-api/dispatcher.js';
import { SILENT_LOGGER } from '../../sync/common/logger.js';
import {
  IPC_ASKING_LOCATION,
  IPC_COPY_TEXT,
  IPC_EVENT,
  IPC_EXPORT_LOGS,
  IPC_INVOKE,
  MAX_COPY_CHARS,
} from '../../preload/allowed-methods.js';
import { contentSecurityPolicy, pageHeaders, SECURITY_HEADERS } from '../common/csp.js';
import { currentMapTileUrl } from '../common/page-policy.js';
import {
  currentCoreFileKeys,
  filesTargetOf,
  gatewayError,
  handleFilesRequest,
  lazyBlobStore,
  type GatewayResponse,
} from '../common/file-gateway.js';
import { gifTargetOf, handleGifRequest, type GifBytes } from '../common/gif-gateway.js';
import { builtPath, distDirFor } from '../common/paths.js';
import { contentTypeFor, resolveStaticFile } from '../common/static-files.js';
import { startCoreWorker, type CoreWorkerHandle } from '../node/core-worker-client.js';
import { nativeBindingFor, parseLaunchOptions, remoteDebuggingSwitch } from './launch-options.js';
import { exportLogsHandler, startElectronLogs, type ElectronLogs } from './logs.js';
import { startDesktopShell, WINDOWS_APP_ID } from './desktop-shell.js';
import { bringToFront, createMainWindow, setUpSpellChecking } from './main-window.js';
import {
  isAppFileDownload,
  isCallRunning,
  isLocationCheckAllowed,
  isLocationRequestAllowed,
  isMediaCheckAllowed,
  isMediaRequestAllowed,
} from './media-permission.js';
import { pickScreenShareSource } from './screen-share-picker.js';
import { desktopStrings, type DesktopStrings } from '../common/desktop-strings.js';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  externalUrlToOpen,
  isSameAppOrigin,
  isTrustedSender,
  isTrustedSenderUrl,
} from './trusted-sender.js';
import { loadMirrorKey, type MirrorKey } from './safe-storage-key.js';
import { isProductionBuild } from './release-build.js';
import { TRAY_ART_DIR } from './tray-art.js';

const distDir = distDirFor(import.meta.url);
const repoRoot = path.dirname(distDir);
const rendererDir = builtPath(distDir, 'rendererDir');
const launch = parseLaunchOptions(process.argv, process.cwd());
/** Packaged, or built with --production: no DevTools, no remote debugging. */
const release = app.isPackaged || isProductionBuild;

// A separate --profile gets its own Chromium data too, so two profiles can run side by side while
// one profile can never be opened twice (two cores on one mirror).
if (launch.profileDir) app.setPath('userData', path.join(launch.profileDir, 'electron'));
const profileDir = launch.profileDir ?? path.join(app.getPath('userData'), 'profile');
// Attachment files are encrypted with keys in the core's mirror: the core is asked for them.
const blobStore = lazyBlobStore(
  profileDir,
  currentCoreFileKeys(() => core),
);

// `stream`: audio plays (and seeks) from app://messenger/files/… as it is read.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true, stream: true } },
]);
app.enableSandbox();

let mainWindow: BrowserWindow | null = null;
let core: CoreWorkerHandle | null = null;
let quitting = false;
/** Opened once this process holds the profile (a second launch only hands over, and logs nothing). */
let logs: ElectronLogs | null = null;
let stopDesktopShell: (() => void) | null = null;

function fatal(title: string, message: string): void {
  console.error(`${title}: ${message}`);
  logs?.logger.error(title, { error: message });
  if (app.isReady()) dialog.showErrorBox(title, message);
  void shutdown(1);
}

async function shutdown(code: number): Promise<void> {
  if (quitting) return;
  quitting = true;
  logs?.logger.info('electron host stopping', { exitCode: code });
  stopDesktopShell?.();
  try {
    await core?.close();
  } finally {
    logs?.logging.close();
    app.exit(code);
  }
}

function startCore(mirrorKey: MirrorKey, { logging, versions }: ElectronLogs): CoreWorkerHandle {
  const nativeBinding = nativeBindingFor({
    isElectron: Boolean(process.versions.electron),
    isPackaged: app.isPackaged,
    repoRoot,
  });
  if (nativeBinding && !existsSync(nativeBinding)) {
    throw new Error(
      `better-sqlite3-multiple-ciphers has not been built for Electron yet (${nativeBinding} is missing). Run: npm run electron:native`,
    );
  }
  return startCoreWorker(builtPath(distDir, 'coreWorker'), {
    profileDir,
    defaultServerUrl: launch.serverUrl,
    mirrorKey: mirrorKey.key.toString('hex'),
    ...(launch.allowLoopbackPreviews ? { allowLoopbackPreviews: true } : {}),
    ...(launch.workOffline ? { workOffline: true } : {}),
    ...(nativeBinding ? { nativeBinding } : {}),
    logLevel: logging.level,
    hostVersions: versions,
    onLog: logging.writeWorkerLine,
    onError: (error) => fatal('The messenger stopped', error.message),
  });
}

function toResponse(response: GatewayResponse, method: string): Response {
  const { body } = response;
  const webBody =
    body === null || method === 'HEAD' ? null : typeof body === 'string' ? body : (Readable.toWeb(body) as ReadableStream);
  return new Response(webBody, { status: response.status, headers: response.headers });
}

async function serveFiles(request: Request, url: URL): Promise<Response> {
  // Only the app's own page posts files (a foreign page can never load in this window anyway).
  const origin = request.headers.get('origin');
  if (request.method === 'POST' && origin !== null && origin !== APP_ORIGIN) {
    return toResponse(gatewayError(403, 'forbidden'), request.method);
  }
  const response = await handleFilesRequest(blobStore(), {
    method: request.method,
    url,
    body: () => (request.body ? Readable.fromWeb(request.body as NodeReadableStream<Uint8Array>) : Readable.from([])),
    range: request.headers.get('range'),
  });
  return toResponse(response, request.method);
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
  if (url.host !== APP_HOST) return notFound();
  if (filesTargetOf(url.pathname) !== null) return serveFiles(request, url);
  const gifId = gifTargetOf(url.pathname);
  if (gifId !== null) {
    const gifBytes: GifBytes = (id) => (core ? core.gifBytes(id) : Promise.reject(new Error('The client core is not running')));
    return toResponse(await handleGifRequest(gifBytes, { method: request.method, gifId }), request.method);
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') return notFound();
  const file = resolveStaticFile(rendererDir, url.pathname);
  if (!file) return notFound();
  try {
    const body = await fs.readFile(file);
    // The page's policy as the tile server preference is now; every response's header then says the same.
    pagePolicy.mapTileUrl = await currentMapTileUrl(core);
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: { ...pageHeaders(pagePolicy.mapTileUrl), 'Content-Type': contentTypeFor(file) },
    });
  } catch {
    return notFound();
  }
}

/** The call on this device as the desktop shell last read it: whether one runs, and the words to ask with. */
const callNow: { running: boolean; strings: DesktopStrings } = {
  running: false,
  strings: desktopStrings('system', []),
};

/** The tile server (Settings → "Maps") the policy of the page's files allows, as they were last served. */
const pagePolicy: { mapTileUrl: string | null } = { mapTileUrl: null };

/** Whether the page is asking for its position now ("Send your current location", IPC_ASKING_LOCATION). */
const locationNow = { asking: false };

function lockDownSessions(): void {
  const ses = session.defaultSession;
  // The microphone (voice messages) for the app's own page; the camera and the screen only while
  // a call the person started or accepted runs; everything else stays refused.
  // The position only while "Send your current location" asks for it.
  ses.setPermissionRequestHandler((_webContents, permission, callback, details) =>
    callback(
      isMediaRequestAllowed(permission, details, callNow.running) ||
        isLocationRequestAllowed(permission, details, locationNow.asking),
    ),
  );
  ses.setPermissionCheckHandler(
    (_webContents, permission, requestingOrigin, details) =>
      isMediaCheckAllowed(permission, requestingOrigin, details, callNow.running) ||
      isLocationCheckAllowed(permission, requestingOrigin, locationNow.asking),
  );
  ses.setDisplayMediaRequestHandler((request, callback) => {
    pickScreenShareSource(
      {
        callRunning: () => callNow.running,
        isTrustedUrl: isTrustedSenderUrl,
        sources: () => desktopCapturer.getSources({ types: ['screen', 'window'] }),
        ask: async (options) => {
          const window = mainWindow && !mainWindow.isDestroyed() ? mainWindow : null;
          const answer = window
            ? await dialog.showMessageBox(window, { type: 'question', ...options })
            : await dialog.showMessageBox({ type: 'question', ...options });
          return answer.response;
        },
        strings: () => callNow.strings,
      },
      request.frame?.url,
    )
      .then((source) => callback(source ? { video: source } : {}))
      .catch(() => callback({}));
  });
  ses.setDevicePermissionHandler(() => false);
  // Save buttons download app://messenger/files/<sha256>?save=<name>: with no save path set,
  // Electron asks where to save it, proposing the (sanitised) name the gateway sent.
  ses.on('will-download', (event, item) => {
    if (!isAppFileDownload(item.getURL())) event.preventDefault();
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === 'content-security-policy') delete headers[name];
    }
    headers['Content-Security-Policy'] = [contentSecurityPolicy(pagePolicy.mapTileUrl)];
    callback({ responseHeaders: headers });
  });
}

app.on('web-contents-created', (_event, contents) => {
  // Links in messages (target=_blank) arrive here: a checked http(s) URL goes to the system
  // browser; no window is ever opened inside the app.
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrlToOpen(url);
    if (external !== null) shell.openExternal(external).catch(() => undefined);
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

function createWindow(): BrowserWindow {
  // Its size and place are kept in userData, which is this profile's own.
  const win = createMainWindow(
    builtPath(distDir, 'preload'),
    { release },
    app.getPath('userData'),
    logs?.logger ?? SILENT_LOGGER,
  );
  mainWindow = win;
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

/** A second launch, the tray, a notification: the window comes to the front (a new one on macOS once closed). */
function showWindow(): BrowserWindow {
  const win = mainWindow && !mainWindow.isDestroyed() ? mainWindow : createWindow();
  bringToFront(win);
  return win;
}

/** A notification was clicked: the window shows that conversation (once its page has loaded). */
function openConversation(conversationId: string): void {
  const win = showWindow();
  const event: AppEvent = { type: 'open_conversation', conversationId };
  const send = () => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, event);
  };
  if (win.webContents.isLoading()) win.webContents.once('did-finish-load', send);
  else send();
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
    logs?.logger.warn('refused an app API call from a frame that is not the app');
    return { ok: false, error: { code: 'unauthorized', message: 'Calls are accepted only from the app itself' } };
  }
  if (!core) return { ok: false, error: { code: 'internal', message: 'The client core is not running' } };
  return core.invoke(typeof method === 'string' ? method : String(method), args);
}

const debuggingSwitch = release ? remoteDebuggingSwitch(process.argv) : null;
if (debuggingSwitch !== null) {
  // The DevTools protocol would hand whoever connects the whole app, the mirror's key included.
  console.error(`The messenger does not start with ${debuggingSwitch}: it would open the app to a debugger.`);
  app.exit(1);
} else if (launch.logLevelProblem !== null) {
  console.error(launch.logLevelProblem);
  app.exit(1);
} else if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  const profileLogs = startElectronLogs(profileDir, launch.logLevel);
  logs = profileLogs;
  // Another launch with this profile (same userData, so same lock) hands over to this one.
  // Before the first window (the core still opening), that window is on its way anyway.
  app.on('second-instance', () => {
    if (stopDesktopShell !== null) showWindow();
  });
  // Windows shows notifications only for an app with an identity (the installer's shortcut carries the same).
  if (process.platform === 'win32') app.setAppUserModelId(WINDOWS_APP_ID);

  // Started at 'ready': the OS keychain holding the mirror's key (safeStorage) answers only from then on.
  const coreStarted = app.whenReady().then(async () => {
    try {
      core = startCore(await loadMirrorKey(profileDir, safeStorage), profileLogs);
      core.subscribe((appEvent: AppEvent) => {
        if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT, appEvent);
      });
    } catch (error) {
      core = null;
      fatal('The messenger cannot start', error instanceof Error ? error.message : String(error));
    }
  });

  ipcMain.handle(IPC_INVOKE, relay);
  ipcMain.handle(IPC_ASKING_LOCATION, (event: IpcMainInvokeEvent, on: unknown) => {
    if (isTrustedSender(event) && typeof on === 'boolean') locationNow.asking = on;
  });
  ipcMain.handle(IPC_COPY_TEXT, async (event: IpcMainInvokeEvent, text: unknown) => {
    if (!isTrustedSender(event) || typeof text !== 'string' || text.length > MAX_COPY_CHARS) return false;
    await clipboard.writeText(text);
    return true;
  });
  ipcMain.handle(
    IPC_EXPORT_LOGS,
    exportLogsHandler({
      exporter: profileLogs.exporter,
      logger: profileLogs.logger,
      defaultDir: () => app.getPath('downloads'),
      showSaveDialog: (options) =>
        mainWindow && !mainWindow.isDestroyed() ? dialog.showSaveDialog(mainWindow, options) : dialog.showSaveDialog(options),
    }),
  );

  void coreStarted.then(async () => {
    if (!core) return;
    lockDownSessions();
    setUpSpellChecking(process.platform);
    protocol.handle(APP_SCHEME, serveAppRequest);
    try {
      await core.ready;
    } catch {
      return; // onError has already reported it and is shutting down.
    }
    createWindow();
    stopDesktopShell = startDesktopShell(createAppApiClient(core), {
      artDir: path.join(distDir, ...TRAY_ART_DIR.split('/')),
      platform: process.platform,
      window: () => (mainWindow && !mainWindow.isDestroyed() ? mainWindow : null),
      showWindow,
      openConversation,
      quit: () => app.quit(),
      logger: profileLogs.logger,
      callChanged: (call, groupCall, strings) => {
        callNow.running = isCallRunning(call, groupCall);
        callNow.strings = strings;
      },
    });
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
