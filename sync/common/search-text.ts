/**
 * Full-text search, the parts both sides of the contract share: what counts as a word, how a typed
 * query becomes an FTS5 query that cannot fail, and how a message's text is cut into a snippet with
 * the matched words marked. The mirror's index (SQLite FTS5, tokenizer `unicode61 remove_diacritics
 * 2`) splits text the same way: letters, digits and combining marks make words; case does not count
 * in any script ("Привет" and "привет"), Latin accents neither ("café" and "cafe").
 */

/** Typed queries beyond this length are cut (a pasted essay is still a search, for its start). */
export const MAX_QUERY_CHARS = 10_000;
/** Words used from one query: enough for any real search, few enough to keep every query cheap. */
export const MAX_QUERY_WORDS = 16;
/** Longer words are cut to this many characters (and still match as prefixes). */
const MAX_WORD_CHARS = 64;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** A word with case and every accent folded, for marking matches in a snippet. */
export function foldWord(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The words a person typed, in lower case, in order, without repeats. Accents stay: the index's
 * tokenizer folds them itself (Latin ones only: "café" finds "cafe", "ї" stays "ї").
 */
export function queryWords(query: string): string[] {
  const words: string[] = [];
  for (const match of query.slice(0, MAX_QUERY_CHARS).matchAll(WORD)) {
    const word = match[0].toLowerCase().slice(0, MAX_WORD_CHARS);
    if (word !== '' && !words.includes(word)) words.push(word);
    if (words.length === MAX_QUERY_WORDS) break;
  }
  return words;
}

/**
 * The FTS5 query for what a person typed: every word must occur, each as a prefix ("deliv" finds
 * "delivered"), in any order. Each word is a quoted string, so nothing typed (quotes, `*`, `NEAR`,
 * `-`, `OR`, brackets, a column filter) is ever read as query syntax. null when nothing searchable
 * was typed (only punctuation, say): then there is nothing to find.
 */
export function ftsQuery(query: string): string | null {
  const words = queryWords(query);
  if (words.length === 0) return null;
  // Words hold only letters, digits and marks, so a quote cannot occur; doubling one is the FTS5
  // escape regardless, should the definition of a word ever widen.
  return words.map((word) => `"${word.replaceAll('"', '""')}"*`).join(' ');
}

/** A piece of a snippet; `match` pieces are the words the query found. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/**
 * A short piece of `text` around its first matched word, cut at word boundaries, as plain parts
 * (never markup): the renderer shows `match` parts highlighted. Words match when they start with a
 * word of the query, as the index matches them.
 */
export function snippet(text: string, words: readonly string[], maxChars = 120): SnippetPart[] {
  const matches: Array<{ start: number; end: number }> = [];
  for (const match of text.matchAll(WORD)) {
    const folded = foldWord(match[0]);
    if (words.some((word) => folded.startsWith(foldWord(word))))
      matches.push({ start: match.index, end: match.index + match[0].length });
  }
  const first = matches[0];
  let from = 0;
  let to = Math.min(text.length, maxChars);
  if (first && first.end > to) {
    // Centre the window on the first match, then widen it to whole words.
    from = Math.max(0, first.start - Math.floor(maxChars / 3));
    to = Math.min(text.length, from + maxChars);
  }
  while (from > 0 && /[\p{L}\p{N}\p{M}]/u.test(text[from - 1]!)) from--;
  while (to < text.length && /[\p{L}\p{N}\p{M}]/u.test(text[to]!)) to++;
  const parts: SnippetPart[] = [];
  const push = (part: string, match: boolean) => {
    if (part !== '') parts.push({ text: part, match });
  };
  if (from > 0) push('…', false);
  let at = from;
  for (const { start, end } of matches) {
    if (end <= from || start >= to) continue;
    push(text.slice(at, Math.max(at, start)), false);
    push(text.slice(Math.max(at, start), Math.min(end, to)), true);
    at = Math.min(end, to);
  }
  push(text.slice(at, to), false);
  if (to < text.length) push('…', false);
  return parts;
}
