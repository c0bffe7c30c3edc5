/** Putting text (an emoji from the picker) into the composer's box. Pure. */

/** The text with `inserted` put in place of the selection [start, end), and where the caret goes after it. */
export function insertAt(text: string, start: number, end: number, inserted: string): { text: string; caret: number } {
  const from = Math.max(0, Math.min(start, end, text.length));
  const to = Math.min(text.length, Math.max(start, end, from));
  return { text: text.slice(0, from) + inserted + text.slice(to), caret: from + inserted.length };
}
