/**
 * Mapping a request path to a file of the built renderer, shared by the browser host and Electron's
 * app:// protocol. Pure string work (node:path only): the caller still checks the file exists.
 */
import path from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The absolute file for a URL pathname (still percent-encoded, without query), or null when the
 * path is malformed or would leave `rootDir` in any way: `..` segments (also encoded), backslashes,
 * NUL bytes, drive letters, dot-files. `/` and directory-looking paths map to index.html.
 */
export function resolveStaticFile(rootDir: string, pathname: string): string | null {
  if (!pathname.startsWith('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.includes(':')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '');
  // Refuse rather than normalise: a request that needs `..` to make sense is not one of ours.
  if (segments.some((segment) => segment === '.' || segment === '..' || segment.startsWith('.'))) return null;
  if (decoded.endsWith('/')) segments.push('index.html');
  if (segments.length === 0) segments.push('index.html');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, ...segments);
  if (!file.startsWith(root + path.sep)) return null;
  return file;
}
