/**
 * The page policy shared by both hosts, sent as a real header by the browser host and by
 * Electron's app:// protocol (headers also cover what a meta tag cannot, e.g. frame-ancestors).
 * renderer/index.html carries no meta policy: a meta tag and a header intersect, so a meta tag
 * would take back the tile server the header allows.
 *
 * Settings → "Maps": the page may load images and data from exactly the tile server's origin, read
 * from the preference when the page loads. maplibre's worker is our own file (worker-src 'self').
 */
import { tileOrigin, tileTemplateProblem } from '../../sync/common/map-tiles.js';

/** The policy for a page loaded while `mapTileUrl` is the tile server (null: none). */
export function contentSecurityPolicy(mapTileUrl: string | null): string {
  // Only a template the preference would take: its origin is then a plain scheme://host:port.
  const tiles = mapTileUrl !== null && tileTemplateProblem(mapTileUrl) === null ? ` ${tileOrigin(mapTileUrl)}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data:${tiles}`,
    "media-src 'self'",
    "font-src 'self'",
    `connect-src 'self'${tiles}`,
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The policy with no tile server: every response that is not the page's own files carries it. */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy(null);

/** Headers every response of either host carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
});

/** The headers of the page's own files (the page, its scripts, maplibre's worker): the policy as the preference says now. */
export function pageHeaders(mapTileUrl: string | null): Record<string, string> {
  return { ...SECURITY_HEADERS, 'Content-Security-Policy': contentSecurityPolicy(mapTileUrl) };
}
