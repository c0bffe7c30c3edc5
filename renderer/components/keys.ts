/**
 * Keyboard decisions with no DOM in them (unit-tested in node): the shortcut that focuses the
 * search box from anywhere, and where the navigation keys move in a list of rows.
 */

/** The parts of a keyboard event these look at. */
export interface Keys {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** macOS (and iPadOS), from the user agent: ⌘ rather than Ctrl. */
export function isMacPlatform(userAgent: string): boolean {
  return /Mac|iPhone|iPad/u.test(userAgent);
}

/**
 * Ctrl+K, or ⌘K on macOS (where Ctrl+K deletes to the end of the line in text fields). By the key's
 * letter, or by its place on the keyboard when the layout types no Latin letter there (Cyrillic).
 */
export function isSearchShortcut(event: Keys, mac: boolean): boolean {
  if (event.altKey || event.shiftKey) return false;
  if (mac ? !event.metaKey || event.ctrlKey : !event.ctrlKey || event.metaKey) return false;
  return /^[a-z]$/iu.test(event.key) ? event.key.toLowerCase() === 'k' : event.code === 'KeyK';
}

/** The shortcut as aria-keyshortcuts spells it. */
export function searchKeyShortcuts(mac: boolean): string {
  return mac ? 'Meta+K' : 'Control+K';
}

/** The row a navigation key moves to from `current`, or null when the key does not navigate. */
export function rowForKey(key: string, current: number, count: number, pageRows: number): number | null {
  if (count === 0) return null;
  const last = count - 1;
  switch (key) {
    case 'ArrowDown':
      return Math.min(current + 1, last);
    case 'ArrowUp':
      return Math.max(current - 1, 0);
    case 'Home':
      return 0;
    case 'End':
      return last;
    case 'PageDown':
      return Math.min(current + pageRows, last);
    case 'PageUp':
      return Math.max(current - pageRows, 0);
    default:
      return null;
  }
}

/**
 * Where a menu's navigation keys move focus among its `count` items (role menu): the arrows wrap
 * around, Home and End go to the ends. null for any other key (the menu handles Escape and Tab).
 */
export function menuItemForKey(key: string, current: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowDown':
      return (current + 1 + count) % count;
    case 'ArrowUp':
      return current < 0 ? count - 1 : (current - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** What a key does on a single-answer poll's radio button (PollBody): focus another, or choose this one. */
export type PollRadioKey = { focus: number } | { choose: number };

/**
 * A key on radio `current` of a single-answer poll's `count` options, where `chosen` are the options
 * this person voted for. The arrows move focus only, wrapping around as a radio group's do (the
 * browser would check each radio passed, and a check there is a vote); Enter chooses the focused
 * option, unless it is chosen already. null for any other key: Space is left to the radio, whose
 * click is a deliberate choice like a mouse's or a tap's.
 */
export function pollRadioKey(key: string, current: number, count: number, chosen: readonly number[]): PollRadioKey | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowDown':
    case 'ArrowRight':
      return { focus: (current + 1) % count };
    case 'ArrowUp':
    case 'ArrowLeft':
      return { focus: (current - 1 + count) % count };
    case 'Enter':
      return chosen.includes(current) ? { focus: current } : { choose: current };
    default:
      return null;
  }
}
