/** The BrowserWindow settings, kept apart from electron-main.ts so tests can check them. */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

export interface WindowMode {
  /** A packaged app or a --production build: no DevTools (nor the menu shortcut that opens them). */
  release: boolean;
}

export function secureWebPreferences(preloadPath: string, mode: WindowMode): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: true,
    navigateOnDragDrop: false,
    safeDialogs: true,
    devTools: !mode.release,
  };
}

export function mainWindowOptions(preloadPath: string, mode: WindowMode): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 640,
    minHeight: 480,
    title: 'Messenger',
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences(preloadPath, mode),
  };
}
