/**
 * Sandboxed preload (built to dist/preload/preload.cjs): exposes exactly one object to the page,
 * window.messenger, an AppTransport plus `exportLogs`, `copyText` and `askingLocation` (answered by the main process itself). No
 * ipcRenderer, no event objects, nothing else crosses.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AppTransport } from '../sync/app-api/client.js';
import type { AppEvent } from '../sync/app-api/contract.js';
import type { AppCallResult } from '../sync/app-api/dispatcher.js';
import { isLogExportOutcome, type LogExporter } from '../sync/app-api/log-export.js';
import {
  IPC_ASKING_LOCATION,
  IPC_COPY_TEXT,
  IPC_EVENT,
  IPC_EXPORT_LOGS,
  IPC_INVOKE,
  isAppApiMethod,
  MAX_COPY_CHARS,
} from './allowed-methods.js';

function failure(code: 'invalid_argument' | 'internal', message: string): AppCallResult {
  return { ok: false, error: { code, message } };
}

const transport: AppTransport = {
  async invoke(method, args) {
    if (!isAppApiMethod(method)) {
      // Not String(method): the page may pass an object whose toString throws.
      const name: unknown = method;
      return failure('invalid_argument', `Unknown method ${typeof name === 'string' ? name.slice(0, 64) : `(a ${typeof name})`}`);
    }
    try {
      return (await ipcRenderer.invoke(IPC_INVOKE, method, args ?? {})) as AppCallResult;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Values IPC cannot clone (functions, DOM nodes…) fail here, before reaching main.
      if (/could not be cloned/i.test(message)) return failure('invalid_argument', `${method}: arguments cannot be sent`);
      return failure('internal', message);
    }
  },
  subscribe(listener) {
    if (typeof listener !== 'function') throw new TypeError('subscribe expects a function');
    // The page gets the event payload only, never the IpcRendererEvent (whose sender is ipcRenderer).
    const handler = (_event: IpcRendererEvent, appEvent: AppEvent) => listener(appEvent);
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
};

/** "Export logs": the main process shows a save dialog and writes the file; the page learns how it went. */
const logExporter: LogExporter = {
  async exportLogs() {
    try {
      const outcome: unknown = await ipcRenderer.invoke(IPC_EXPORT_LOGS);
      return isLogExportOutcome(outcome) ? outcome : 'failed';
    } catch {
      return 'failed';
    }
  },
};

/** "Copy": true when the text is on the clipboard. */
async function copyText(text: unknown): Promise<boolean> {
  if (typeof text !== 'string' || text.length > MAX_COPY_CHARS) return false;
  try {
    return (await ipcRenderer.invoke(IPC_COPY_TEXT, text)) === true;
  } catch {
    return false;
  }
}

/** "Send your current location" asks (true) or is done (false): geolocation is granted only between. */
async function askingLocation(on: unknown): Promise<void> {
  if (typeof on !== 'boolean') return;
  try {
    await ipcRenderer.invoke(IPC_ASKING_LOCATION, on);
  } catch {
    // Without the grant the request is refused, and the dialog says so.
  }
}

contextBridge.exposeInMainWorld('messenger', {
  invoke: (method: unknown, args: unknown) => transport.invoke(method as never, args),
  subscribe: (listener: (event: AppEvent) => void) => transport.subscribe(listener),
  exportLogs: () => logExporter.exportLogs(),
  copyText: (text: unknown) => copyText(text),
  askingLocation: (on: unknown) => askingLocation(on),
});
