/**
 * The app's own origin inside Electron, and the URL checks built on it. Pure: no electron import.
 * The renderer is served from app://messenger/ (a privileged standard scheme, see electron-main.ts);
 * IPC from any other frame (a navigated-away page, an injected iframe) is refused.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'messenger';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

function parse(url: unknown): URL | null {
  if (typeof url !== 'string') return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True only for URLs of the app's own pages: app://messenger/…, no credentials, no port. */
export function isTrustedSenderUrl(url: unknown): boolean {
  if (typeof url !== 'string' || !url.startsWith(`${APP_ORIGIN}/`)) return false;
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.hostname === APP_HOST &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/**
 * An IPC message came from one of the app's own frames. The frame is read defensively: it is null,
 * or reading its URL throws, once it has navigated away or been destroyed (not trusted either way).
 */
export function isTrustedSender(event: { readonly senderFrame?: { readonly url: string } | null }): boolean {
  let frameUrl: string | undefined;
  try {
    frameUrl = event.senderFrame?.url;
  } catch {
    frameUrl = undefined;
  }
  return isTrustedSenderUrl(frameUrl);
}

/** Navigation inside the window stays on the app's own origin. */
export function isSameAppOrigin(url: unknown): boolean {
  return isTrustedSenderUrl(url);
}

/** Longer URLs are not handed to the system browser (the renderer links none longer either). */
const MAX_EXTERNAL_URL_CHARS = 2048;

/**
 * The URL the system browser may open for a link the page asked to open, or null: http and https
 * only (no file:, javascript:, data:, custom schemes that launch other programs), with a host and
 * without user name or password. The parser's normalised form is returned, so what is opened is
 * exactly what was checked.
 */
export function externalUrlToOpen(url: unknown): string | null {
  if (typeof url !== 'string' || url.length > MAX_EXTERNAL_URL_CHARS) return null;
  const parsed = parse(url);
  if (parsed === null || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) return null;
  if (parsed.hostname === '' || parsed.username !== '' || parsed.password !== '') return null;
  return parsed.href;
}

/** Links the system browser may open (see externalUrlToOpen). */
export function isExternalUrlAllowed(url: unknown): boolean {
  return externalUrlToOpen(url) !== null;
}
