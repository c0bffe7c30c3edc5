/**
 * A page's preview parts from its HTML (pure: no I/O). Title: og:title, else twitter:title, else
 * <title>; description: og:description, else twitter:description, else meta description; image:
 * og:image (else twitter:image), resolved against the page address (or its <base href>). Entities
 * are decoded once (by htmlparser2), whitespace collapsed, control characters dropped and lengths cut
 * to the protocol's limits. The result is plain text, never markup: whatever the page put in its
 * title (tags included) is just characters to show.
 */
import { Parser } from 'htmlparser2';
import { LIMITS } from '../../protocol/limits.js';

export interface PreviewHtml {
  title: string;
  description: string;
  /** Absolute http(s) address of the page's image; null when it names none (or not http/https). */
  imageUrl: string | null;
}

const TITLE_KEYS = ['og:title', 'twitter:title'];
const DESCRIPTION_KEYS = ['og:description', 'twitter:description', 'description'];
const IMAGE_KEYS = ['og:image', 'og:image:secure_url', 'og:image:url', 'twitter:image', 'twitter:image:src'];

/** Parses the (possibly cut short) HTML of the page at `pageUrl`; null when it has no title. */
export function parsePreviewHtml(html: string, pageUrl: string): PreviewHtml | null {
  const meta = new Map<string, string>();
  let titleText: string | null = null;
  let inTitle = false;
  let titleBuffer = '';
  let foreignDepth = 0;
  let baseHref: string | null = null;

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'svg' || name === 'math') foreignDepth++;
        if (foreignDepth > 0) return;
        if (name === 'title' && titleText === null) {
          inTitle = true;
          titleBuffer = '';
        } else if (name === 'meta') {
          const content = attribs.content;
          if (content === undefined) return;
          for (const key of [attribs.property, attribs.name]) {
            const normalised = key?.trim().toLowerCase();
            if (normalised && !meta.has(normalised)) meta.set(normalised, content);
          }
        } else if (name === 'base' && baseHref === null && attribs.href !== undefined) {
          baseHref = attribs.href;
        }
      },
      ontext(text) {
        if (inTitle) titleBuffer += text;
      },
      onclosetag(name) {
        if (name === 'title' && inTitle) {
          inTitle = false;
          titleText = titleBuffer;
        }
        if ((name === 'svg' || name === 'math') && foreignDepth > 0) foreignDepth--;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  // A page cut short inside its <title> still has the title's start.
  if (titleText === null && inTitle) titleText = titleBuffer;

  const first = (keys: string[]): string => {
    for (const key of keys) {
      const value = cleanText(meta.get(key) ?? '', Number.POSITIVE_INFINITY);
      if (value) return value;
    }
    return '';
  };

  const title = clip(first(TITLE_KEYS) || cleanText(titleText ?? '', Number.POSITIVE_INFINITY), LIMITS.maxLinkPreviewTitleChars);
  if (!title) return null;
  const description = clip(first(DESCRIPTION_KEYS), LIMITS.maxLinkPreviewDescriptionChars);
  const base = resolveHttpUrl(baseHref ?? '', pageUrl) ?? pageUrl;
  let imageUrl: string | null = null;
  for (const key of IMAGE_KEYS) {
    const raw = meta.get(key)?.trim();
    if (!raw) continue;
    imageUrl = resolveHttpUrl(raw, base);
    if (imageUrl) break;
  }
  return { title, description, imageUrl };
}

/** `reference` resolved against `base`; null unless it is an http or https address. */
export function resolveHttpUrl(reference: string, base: string): string | null {
  if (!reference.trim()) return null;
  try {
    const url = new URL(reference.trim(), base);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Text as a preview shows it: control characters, zero-width spaces and bidi overrides (which
 * could reorder the text around it) dropped, lone surrogates replaced, whitespace collapsed, cut to `max` UTF-16 code units.
 */
export function cleanText(text: string, max: number): string {
  const cleaned = text
    .replace(/[^\P{Cc}\s]|[\u200B\u202A-\u202E\u2066-\u2069\uFEFF]/gu, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/\s+/g, ' ')
    .trim();
  return clip(cleaned, max);
}

/** Cut to at most `max` code units, ending with "…" when cut, never splitting a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end).trimEnd()}…`;
}
