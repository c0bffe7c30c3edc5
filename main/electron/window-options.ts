/** The BrowserWindow settings, kept apart from electron-main.ts so tests can check them. */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import type { WindowPlacement, WindowSize } from '../common/window-state.js';

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

/** The window's first size, and the least it may be made. */
export const MAIN_WINDOW_SIZE: WindowSize = { width: 1100, height: 760, minWidth: 640, minHeight: 480 };

/** `placement`: where the window was last (window-state.ts); the system's choice without it. */
export function mainWindowOptions(
  preloadPath: string,
  mode: WindowMode,
  placement?: WindowPlacement,
): BrowserWindowConstructorOptions {
  return {
    width: MAIN_WINDOW_SIZE.width,
    height: MAIN_WINDOW_SIZE.height,
    minWidth: MAIN_WINDOW_SIZE.minWidth,
    minHeight: MAIN_WINDOW_SIZE.minHeight,
    ...placement?.bounds,
    title: 'Messenger',
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences(preloadPath, mode),
  };
}

/** The composer's spell-checking languages, in order of preference: English, Russian, Ukrainian. */
export const SPELL_CHECK_LANGUAGES = ['en-US', 'ru', 'uk'] as const;

/**
 * The spell-checking languages this Electron has dictionaries for (session.availableSpellCheckerLanguages):
 * asking for one it lacks throws. English falls back to another English when en-US is missing.
 */
export function spellCheckLanguages(available: readonly string[]): string[] {
  const chosen: string[] = [];
  for (const wanted of SPELL_CHECK_LANGUAGES) {
    const primary = wanted.split('-')[0]!;
    const match = available.includes(wanted) ? wanted : available.find((code) => code.split('-')[0] === primary);
    if (match !== undefined) chosen.push(match);
  }
  return chosen;
}
