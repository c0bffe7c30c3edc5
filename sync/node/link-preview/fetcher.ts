/**
 * The sender's link preview fetcher (the Signal model: receivers never contact the site). Fetches
 * the page under safeGet's rules (https only, every hop's address checked, ≤ 5 redirects, no
 * cookies), reads at most 1 MB of text/html, takes title, description and image (preview-html.ts),
 * and fetches the image under the same rules (≤ 1 MB, its type sniffed from its bytes: JPEG, PNG,
 * WebP or GIF, at most 16 megapixels by its header) as a data: URL; the renderer scales it down
 * before sending. One overall deadline
 * (5 s) covers everything; an image that does not arrive in time is left out.
 * `fetch` never throws: any failure is null (no preview).
 */
import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import type { LinkPreviewView } from '../../app-api/contract.js';
import { parsePreviewHtml } from './preview-html.js';
import { LinkPreviewFetchError, safeGet, systemResolver, type FetchFailure, type Resolver } from './safe-get.js';

export interface LinkPreviewFetcherOptions {
  /** Allow 127.0.0.1, and http to it (--allow-loopback-previews; tests only). */
  allowLoopback?: boolean;
  /** Overall deadline for one preview, page and image together. Default 5 s. */
  timeoutMs?: number;
  /** Most HTML read; the rest of a longer page is never read. Default 1 MB. */
  maxHtmlBytes?: number;
  /** Largest image fetched; a larger one is left out. Default 1 MB. */
  maxImageBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  /** DNS resolution (all addresses of a name); default the system resolver. */
  resolve?: Resolver;
  userAgent?: string;
}

export type LinkPreviewOutcome =
  { ok: true; preview: LinkPreviewView | null } | { ok: false; reason: FetchFailure | 'internal'; message: string };

export const LINK_PREVIEW_DEFAULTS = {
  timeoutMs: 5_000,
  maxHtmlBytes: 1024 * 1024,
  maxImageBytes: 1024 * 1024,
  maxRedirects: 5,
  userAgent: 'OfflineMessenger-LinkPreview/1.0',
} as const;

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
/**
 * The most pixels a preview's picture may claim. A small file can declare a huge picture (a
 * 20,000 × 20,000 PNG compresses to almost nothing) that would take the renderer seconds and
 * gigabytes to decode before scaling it down; 16 MP is more than any page's preview image needs.
 */
export const MAX_PREVIEW_IMAGE_PIXELS = 16 * 1024 * 1024;
const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

export class NodeLinkPreviewFetcher {
  private readonly settings: Required<Omit<LinkPreviewFetcherOptions, 'resolve'>> & { resolve: Resolver };

  constructor(options: LinkPreviewFetcherOptions = {}) {
    this.settings = {
      allowLoopback: options.allowLoopback ?? false,
      timeoutMs: options.timeoutMs ?? LINK_PREVIEW_DEFAULTS.timeoutMs,
      maxHtmlBytes: options.maxHtmlBytes ?? LINK_PREVIEW_DEFAULTS.maxHtmlBytes,
      maxImageBytes: options.maxImageBytes ?? LINK_PREVIEW_DEFAULTS.maxImageBytes,
      maxRedirects: options.maxRedirects ?? LINK_PREVIEW_DEFAULTS.maxRedirects,
      userAgent: options.userAgent ?? LINK_PREVIEW_DEFAULTS.userAgent,
      resolve: options.resolve ?? systemResolver,
    };
  }

  /** The page's preview; null when it has none or anything fails (refused, timeout, offline…). */
  async fetch(url: string): Promise<LinkPreviewView | null> {
    const outcome = await this.fetchOutcome(url);
    return outcome.ok ? outcome.preview : null;
  }

  /** Like fetch, but says why there is no preview (for tests and diagnostics). */
  async fetchOutcome(url: string): Promise<LinkPreviewOutcome> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.settings.timeoutMs);
    try {
      return { ok: true, preview: await this.build(url.trim(), controller.signal) };
    } catch (error) {
      if (error instanceof LinkPreviewFetchError) return { ok: false, reason: error.reason, message: error.message };
      return { ok: false, reason: 'internal', message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async build(url: string, signal: AbortSignal): Promise<LinkPreviewView | null> {
    const common = {
      policy: { allowLoopback: this.settings.allowLoopback },
      resolve: this.settings.resolve,
      signal,
      maxRedirects: this.settings.maxRedirects,
      userAgent: this.settings.userAgent,
    };
    const page = await safeGet(url, {
      ...common,
      maxBytes: this.settings.maxHtmlBytes,
      overflow: 'truncate',
      accept: 'text/html,application/xhtml+xml;q=0.9',
      acceptType: (type) => HTML_TYPES.has(type),
    });
    const parsed = parsePreviewHtml(decodeHtml(page.body, page.contentType), page.url);
    if (!parsed) return null;
    let image: string | null = null;
    if (parsed.imageUrl) {
      try {
        const fetched = await safeGet(parsed.imageUrl, {
          ...common,
          maxBytes: this.settings.maxImageBytes,
          overflow: 'refuse',
          accept: 'image/webp,image/png,image/jpeg,image/gif;q=0.8',
          acceptType: (type) => type === '' || type.startsWith('image/') || type === 'application/octet-stream',
        });
        image = await imageDataUrl(fetched.body);
      } catch {
        // No image (refused, too large, not an image, too late): the preview stands without it.
      }
    }
    const shownUrl = /^https?:\/\/\S+$/i.test(url) ? url : new URL(url).href;
    return { url: shownUrl, title: parsed.title, description: parsed.description, image };
  }
}

export function createLinkPreviewFetcher(options: LinkPreviewFetcherOptions = {}): NodeLinkPreviewFetcher {
  return new NodeLinkPreviewFetcher(options);
}

/**
 * A JPEG, PNG, WebP or GIF (judged by its bytes, not by what the server said) of at most
 * MAX_PREVIEW_IMAGE_PIXELS (by its header) as a data: URL.
 */
export async function imageDataUrl(bytes: Buffer): Promise<string | null> {
  if (bytes.length === 0) return null;
  const type = await fileTypeFromBuffer(bytes);
  if (!type || !IMAGE_TYPES.has(type.mime)) return null;
  if (!withinPixelBudget(bytes)) return null;
  return `data:${type.mime};base64,${bytes.toString('base64')}`;
}

function withinPixelBudget(bytes: Buffer): boolean {
  try {
    const { width, height } = imageSize(bytes);
    return width > 0 && height > 0 && width * height <= MAX_PREVIEW_IMAGE_PIXELS;
  } catch {
    // A header image-size cannot read is no picture to decode either.
    return false;
  }
}

/** The page's text: charset from Content-Type, else a byte order mark, else <meta charset>, else UTF-8. */
export function decodeHtml(bytes: Buffer, contentType: string): string {
  const label =
    /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1] ??
    bomCharset(bytes) ??
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(bytes.subarray(0, 1024).toString('latin1'))?.[1] ??
    'utf-8';
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function bomCharset(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}
