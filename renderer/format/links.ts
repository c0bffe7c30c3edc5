/**
 * Links in message text, found with linkify-it. Only http and https links become links: linkify-it
 * is told to drop its other schemas (mailto:, ftp:, protocol-relative //) and fuzzy e-mail, and every
 * href is checked again with the URL parser, so `javascript:`, `file:`, `data:` and any other scheme
 * never reach an <a>. A link without a scheme ("example.com") gets https://. The text itself is
 * only ever split, never parsed as HTML.
 */
import { LinkifyIt } from 'linkify-it';
import { splitMentions } from '../state/mentions.js';

/** Longer "links" are left as text (linkify-it's own cap is 10,000). */
const MAX_LINK_CHARS = 2048;

const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: false, fuzzyIP: false, maxLength: MAX_LINK_CHARS })
  .add('mailto:', null)
  .add('ftp:', null)
  .add('//', null);

export type TextPiece = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/**
 * The href for a link found in text, or null when it is not one we open: the result of the URL
 * parser (normalised, e.g. an IDN host in punycode), http: or https: only, with a host and without
 * user name or password (`https://bank.example@evil.example` would read as the bank).
 */
export function safeLinkHref(candidate: string): string | null {
  if (candidate.length === 0 || candidate.length > MAX_LINK_CHARS) return null;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '') return null;
  return url.href;
}

/** The text split into plain pieces and links (each named by its own text), in order; never empty. */
export function splitLinks(text: string): TextPiece[] {
  const matches = text.length > 0 && linkify.test(text) ? (linkify.match(text) ?? []) : [];
  const pieces: TextPiece[] = [];
  let at = 0;
  for (const match of matches) {
    // linkify-it reports a schema ('http:', 'https:') or '' for a fuzzy link ("example.com").
    const schema = match.schema.toLowerCase();
    const candidate = schema === '' ? `https://${match.raw}` : schema === 'http:' || schema === 'https:' ? match.raw : null;
    const href = candidate === null ? null : safeLinkHref(candidate);
    if (href === null) continue;
    if (match.index > at) pieces.push({ kind: 'text', text: text.slice(at, match.index) });
    pieces.push({ kind: 'link', text: text.slice(match.index, match.lastIndex), href });
    at = match.lastIndex;
  }
  if (at < text.length || pieces.length === 0) pieces.push({ kind: 'text', text: text.slice(at) });
  return pieces;
}

/** The first link in the text, if any (what a link preview is made for). */
export function firstLink(text: string): { text: string; href: string } | null {
  const link = splitLinks(text).find((piece) => piece.kind === 'link');
  return link ? { text: link.text, href: link.href } : null;
}

/**
 * Whether a message's link preview is shown: only when the preview is of one of the message's own
 * links. The sender's core makes the preview, but a sender's client is not trusted to: a preview
 * of another page under a link the reader sees would put the other page's words in that link.
 */
export function previewBelongsTo(previewUrl: string, text: string): boolean {
  const href = safeLinkHref(previewUrl);
  return href !== null && splitLinks(text).some((piece) => piece.kind === 'link' && piece.href === href);
}

export type MessagePiece = TextPiece | { kind: 'mention'; text: string };

/**
 * A message's text as shown: links (see splitLinks), and in the text between them mentions of
 * `mentionOf` ("@bob", see splitMentions); a mention inside a link stays part of the link.
 */
export function messagePieces(text: string, mentionOf: string | null): MessagePiece[] {
  return splitLinks(text).flatMap((piece): MessagePiece[] =>
    piece.kind === 'link'
      ? [piece]
      : splitMentions(piece.text, mentionOf)
          .map((part, index): MessagePiece => ({ kind: index % 2 === 1 ? 'mention' : 'text', text: part }))
          .filter((part) => part.text !== '' || part.kind === 'mention'),
  );
}
