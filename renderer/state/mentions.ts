/** The "@name" being typed in the composer, and who it could mean. */
import { mentionRanges } from '../../sync/common/mentions.js';
import type { User } from '../../sync/protocol/frames.js';

export interface MentionQuery {
  /** Where the "@" is. */
  start: number;
  /** What follows it up to the caret, lowercased. */
  query: string;
}

/** The mention being typed just before `caret`, if any: "@" at the start or after a space. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const match = /(?:^|\s)@([\p{L}\p{N}._-]*)$/u.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[1]!.length - 1, query: match[1]!.toLowerCase() };
}

/** The people whose username or a word of whose name starts with the query; at most `max`. */
export function mentionCandidates(people: readonly User[], query: string, max = 8): User[] {
  const matches = (user: User) =>
    user.username.toLowerCase().startsWith(query) ||
    user.displayName
      .toLowerCase()
      .split(/\s+/u)
      .some((word) => word.startsWith(query));
  return people.filter(matches).slice(0, max);
}

/** The text with the mention replaced by "@username " and where the caret goes. */
export function insertMention(text: string, mention: MentionQuery, caret: number, user: User): { text: string; caret: number } {
  const inserted = `@${user.username} `;
  const after = text.slice(caret).replace(/^\s/u, '');
  return { text: text.slice(0, mention.start) + inserted + after, caret: mention.start + inserted.length };
}

/**
 * Splits text around mentions of `username` ("@bob", any case, not inside a longer name or an
 * e-mail address), as the core counts them (sync/common/mentions.ts). Mentions at odd indexes.
 */
export function splitMentions(text: string, username: string | null): string[] {
  if (!username) return [text];
  const wanted = username.toLowerCase();
  const pieces: string[] = [];
  let at = 0;
  for (const range of mentionRanges(text)) {
    if (range.username !== wanted) continue;
    pieces.push(text.slice(at, range.start), text.slice(range.start, range.end));
    at = range.end;
  }
  pieces.push(text.slice(at));
  return pieces;
}
