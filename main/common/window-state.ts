/**
 * The main window's size, position and maximized state, remembered per profile in a small JSON
 * file (validated when read back: a damaged or foreign file means the defaults, never a crash),
 * and put back on a screen that exists: a monitor unplugged since, or a smaller one, must not
 * leave the window out of reach.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const WINDOW_STATE_FILE = 'window-state.json';

const coordinate = z.number().int().min(-100_000).max(100_000);
const length = z.number().int().min(1).max(100_000);

export const windowStateSchema = z
  .object({
    x: coordinate,
    y: coordinate,
    width: length,
    height: length,
    maximized: z.boolean(),
  })
  .strict();
export type WindowState = z.infer<typeof windowStateSchema>;

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowSize {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
}

/** Where to open the window: no x/y means the system's choice (centred). */
export interface WindowPlacement {
  bounds: { width: number; height: number; x?: number; y?: number };
  maximized: boolean;
}

/** How much of the window's top edge (where it is dragged from) must lie on a screen to count as reachable. */
const REACHABLE = { width: 100, height: 32 };

/** The saved state, or null when there is none or it is not valid. */
export function readWindowState(file: string): WindowState | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = windowStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Written aside and renamed into place, so a crash mid-write leaves the previous state. At once:
 * the window saves as it closes, and the app may exit right after.
 */
export function writeWindowState(file: string, state: WindowState): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(temporary, `${JSON.stringify(windowStateSchema.parse(state))}\n`);
  renameSync(temporary, file);
}

/**
 * The placement for a saved state on the screens there are now (their work areas, the primary
 * first or named): the saved size within the largest work area and at least the minimum; the saved
 * position when its top edge is reachable on some screen, else centred on the primary one.
 */
export function placeWindow(
  saved: WindowState | null,
  workAreas: readonly Rectangle[],
  primary: Rectangle | undefined,
  size: WindowSize,
): WindowPlacement {
  if (saved === null) return { bounds: { width: size.width, height: size.height }, maximized: false };
  const widest = Math.max(0, ...workAreas.map((area) => area.width));
  const tallest = Math.max(0, ...workAreas.map((area) => area.height));
  const width = Math.max(size.minWidth, widest > 0 ? Math.min(saved.width, widest) : saved.width);
  const height = Math.max(size.minHeight, tallest > 0 ? Math.min(saved.height, tallest) : saved.height);
  const topEdge: Rectangle = { x: saved.x, y: saved.y, width, height: REACHABLE.height };
  const reachable = workAreas.some((area) => {
    const overlap = intersection(topEdge, area);
    return overlap !== null && overlap.width >= Math.min(REACHABLE.width, width) && overlap.height >= REACHABLE.height;
  });
  if (reachable) return { bounds: { x: saved.x, y: saved.y, width, height }, maximized: saved.maximized };
  const screen = primary ?? workAreas[0];
  if (!screen) return { bounds: { width, height }, maximized: saved.maximized };
  const fitted = { width: Math.min(width, screen.width), height: Math.min(height, screen.height) };
  return {
    bounds: {
      ...fitted,
      x: screen.x + Math.round((screen.width - fitted.width) / 2),
      y: screen.y + Math.round((screen.height - fitted.height) / 2),
    },
    maximized: saved.maximized,
  };
}

function intersection(a: Rectangle, b: Rectangle): Rectangle | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}
