/**
 * The main window: opened where it was last (size, position, maximized; per profile, since the
 * state file lives in this profile's userData), moved back onto a screen when that one is gone,
 * and brought to the front on request (a second launch, the tray, a notification).
 */
import path from 'node:path';
import { BrowserWindow, screen, session } from 'electron';
import { errorFields, type Logger } from '../../sync/common/logger.js';
import { placeWindow, readWindowState, WINDOW_STATE_FILE, writeWindowState } from '../common/window-state.js';
import { MAIN_WINDOW_SIZE, mainWindowOptions, spellCheckLanguages, type WindowMode } from './window-options.js';

/** Moving or resizing saves once it has paused this long; closing saves at once. */
const SAVE_DELAY_MS = 500;

export function createMainWindow(preloadPath: string, mode: WindowMode, stateDir: string, logger: Logger): BrowserWindow {
  const file = path.join(stateDir, WINDOW_STATE_FILE);
  const placement = placeWindow(
    readWindowState(file),
    screen.getAllDisplays().map((display) => display.workArea),
    screen.getPrimaryDisplay().workArea,
    MAIN_WINDOW_SIZE,
  );
  const win = new BrowserWindow(mainWindowOptions(preloadPath, mode, placement));
  win.once('ready-to-show', () => {
    if (placement.maximized) win.maximize();
    win.show();
  });
  rememberState(win, file, logger);
  return win;
}

function rememberState(win: BrowserWindow, file: string, logger: Logger): void {
  let timer: NodeJS.Timeout | null = null;
  const save = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (win.isDestroyed()) return;
    const bounds = win.getNormalBounds();
    try {
      writeWindowState(file, {
        x: Math.round(bounds.x),
        y: Math.round(bounds.y),
        width: Math.round(bounds.width),
        height: Math.round(bounds.height),
        maximized: win.isMaximized(),
      });
    } catch (error) {
      // Losing the window's place is no reason to disturb the person.
      logger.warn('the window state could not be saved', errorFields(error));
    }
  };
  const saveSoon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  };
  win.on('resize', saveSoon);
  win.on('move', saveSoon);
  win.on('maximize', save);
  win.on('unmaximize', save);
  win.on('close', save);
}

/** Restored if minimized, shown if hidden, and focused. */
export function bringToFront(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

/**
 * The composer's spell checking in English, Russian and Ukrainian, as far as dictionaries exist.
 * macOS uses its own spell checker, which follows the system's languages (Electron ignores the list there).
 */
export function setUpSpellChecking(platform: NodeJS.Platform): void {
  if (platform === 'darwin') return;
  const languages = spellCheckLanguages(session.defaultSession.availableSpellCheckerLanguages);
  if (languages.length > 0) session.defaultSession.setSpellCheckerLanguages(languages);
}
