/** The main window's remembered size and place: read back validated, and put back on a screen that exists. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { placeWindow, readWindowState, writeWindowState, type WindowState } from '../../../main/common/window-state.js';
import {
  MAIN_WINDOW_SIZE,
  mainWindowOptions,
  secureWebPreferences,
  spellCheckLanguages,
} from '../../../main/electron/window-options.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'window-state-'));
  dirs.push(dir);
  return path.join(dir, 'window-state.json');
}

const laptop = { x: 0, y: 0, width: 1440, height: 860 };
const leftMonitor = { x: -1920, y: 0, width: 1920, height: 1040 };
const saved: WindowState = { x: 200, y: 100, width: 1000, height: 700, maximized: false };

describe('reading and writing the window state', () => {
  it('reads back what it wrote, leaving no temporary file behind', () => {
    const file = tempFile();
    writeWindowState(file, { ...saved, maximized: true });
    expect(readWindowState(file)).toEqual({ ...saved, maximized: true });
    expect(readdirSync(path.dirname(file))).toEqual(['window-state.json']);
  });

  it('takes a missing, damaged or foreign file for no state', () => {
    const file = tempFile();
    expect(readWindowState(file)).toBeNull();
    for (const text of ['{"x":', '[]', JSON.stringify({ ...saved, width: 'wide' }), JSON.stringify({ ...saved, extra: 1 })]) {
      writeFileSync(file, text);
      expect(readWindowState(file), text).toBeNull();
    }
    writeFileSync(file, JSON.stringify({ ...saved, width: 0 }));
    expect(readWindowState(file)).toBeNull();
  });

  it('refuses to write a state that is not one', () => {
    expect(() => writeWindowState(tempFile(), { ...saved, x: 1.5 })).toThrow();
  });
});

describe('placeWindow', () => {
  it('opens at the default size, where the system likes, the first time', () => {
    expect(placeWindow(null, [laptop], laptop, MAIN_WINDOW_SIZE)).toEqual({
      bounds: { width: MAIN_WINDOW_SIZE.width, height: MAIN_WINDOW_SIZE.height },
      maximized: false,
    });
  });

  it('puts the window back where it was when that is on a screen, maximized too', () => {
    expect(placeWindow(saved, [laptop], laptop, MAIN_WINDOW_SIZE)).toEqual({
      bounds: { x: 200, y: 100, width: 1000, height: 700 },
      maximized: false,
    });
    const onTheLeft = { ...saved, x: -1500, maximized: true };
    expect(placeWindow(onTheLeft, [laptop, leftMonitor], laptop, MAIN_WINDOW_SIZE)).toEqual({
      bounds: { x: -1500, y: 100, width: 1000, height: 700 },
      maximized: true,
    });
  });

  it('centres it on the primary screen when its screen is gone or its top edge is out of reach', () => {
    const onTheLeft = { ...saved, x: -1500 };
    const centred = { x: (1440 - 1000) / 2, y: (860 - 700) / 2, width: 1000, height: 700 };
    expect(placeWindow(onTheLeft, [laptop], laptop, MAIN_WINDOW_SIZE).bounds).toEqual(centred);
    // The title bar above the screen's top, or only a sliver of it showing at the right edge.
    expect(placeWindow({ ...saved, y: -200 }, [laptop], laptop, MAIN_WINDOW_SIZE).bounds).toEqual(centred);
    expect(placeWindow({ ...saved, x: 1400 }, [laptop], laptop, MAIN_WINDOW_SIZE).bounds).toEqual(centred);
  });

  it('fits a window bigger than any screen, and never makes it smaller than the minimum', () => {
    const huge = { ...saved, x: 0, y: 0, width: 3000, height: 2000 };
    expect(placeWindow(huge, [laptop], laptop, MAIN_WINDOW_SIZE).bounds).toEqual({ x: 0, y: 0, width: 1440, height: 860 });
    const tiny = { ...saved, width: 10, height: 10 };
    expect(placeWindow(tiny, [laptop], laptop, MAIN_WINDOW_SIZE).bounds).toMatchObject({
      width: MAIN_WINDOW_SIZE.minWidth,
      height: MAIN_WINDOW_SIZE.minHeight,
    });
  });

  it('becomes the window’s options, which keep the locked-down web preferences', () => {
    const placement = placeWindow(saved, [laptop], laptop, MAIN_WINDOW_SIZE);
    const options = mainWindowOptions('/p.cjs', { release: true }, placement);
    expect(options).toMatchObject({ x: 200, y: 100, width: 1000, height: 700, minWidth: 640, minHeight: 480, show: false });
    expect(options.webPreferences).toEqual(secureWebPreferences('/p.cjs', { release: true }));
  });
});

describe('spellCheckLanguages', () => {
  it('asks for English, Russian and Ukrainian, only as far as dictionaries exist', () => {
    expect(spellCheckLanguages(['af', 'en-GB', 'en-US', 'ru', 'uk'])).toEqual(['en-US', 'ru', 'uk']);
    expect(spellCheckLanguages(['en-AU', 'en-GB', 'uk'])).toEqual(['en-AU', 'uk']);
    expect(spellCheckLanguages(['de', 'fr'])).toEqual([]);
  });
});
