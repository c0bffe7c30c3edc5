/**
 * Mentions are plain text: "@username" in a message names that person. Usernames are lowercase
 * letters, digits, ".", "_" and "-" (USERNAME_PATTERN), so a mention ends at the first other
 * character; a trailing dot (end of a sentence) is not part of it.
 */
const MENTION = /(^|[^\p{L}\p{N}_.@-])@([a-z0-9._-]+)/giu;

/** Where each mention is in `text`: the "@" at `start`, up to `end` (exclusive), and whom it names. */
export interface MentionRange {
  start: number;
  end: number;
  username: string;
}

export function mentionRanges(text: string): MentionRange[] {
  const ranges: MentionRange[] = [];
  for (const match of text.matchAll(MENTION)) {
    const username = match[2]!.replace(/\.+$/, '').toLowerCase();
    if (username.length === 0) continue;
    const start = match.index + match[1]!.length;
    ranges.push({ start, end: start + 1 + username.length, username });
  }
  return ranges;
}

/** Whether `text` mentions `username`. */
export function mentions(text: string, username: string): boolean {
  const wanted = username.toLowerCase();
  return text.includes('@') && mentionRanges(text).some((range) => range.username === wanted);
}
