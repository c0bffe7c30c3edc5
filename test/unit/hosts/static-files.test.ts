import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentTypeFor, resolveStaticFile } from '../../../main/common/static-files.js';

const root = path.resolve('/srv/renderer');

describe('resolveStaticFile', () => {
  it('maps ordinary paths into the root, and / to index.html', () => {
    expect(resolveStaticFile(root, '/')).toBe(path.join(root, 'index.html'));
    expect(resolveStaticFile(root, '/app.js')).toBe(path.join(root, 'app.js'));
    expect(resolveStaticFile(root, '/assets/logo-1234.svg')).toBe(path.join(root, 'assets', 'logo-1234.svg'));
    expect(resolveStaticFile(root, '/assets/')).toBe(path.join(root, 'assets', 'index.html'));
    expect(resolveStaticFile(root, '/a%20b.css')).toBe(path.join(root, 'a b.css'));
  });

  it.each([
    '/../package.json',
    '/assets/../../etc/passwd',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/..%2f..%2fetc%2fpasswd',
    '/assets/..%5c..%5cpackage.json',
    '/..\\package.json',
    '/%00index.html',
    '/index.html%00.js',
    '/C:/Windows/win.ini',
    '/.env',
    '/.git/config',
    '/./app.js',
    '/%E0%A4%A', // malformed percent-encoding
    'app.js', // not absolute
    '',
  ])('refuses %j', (requestPath) => {
    expect(resolveStaticFile(root, requestPath)).toBeNull();
  });
});

describe('contentTypeFor', () => {
  it('knows the renderer file types and falls back to octet-stream', () => {
    expect(contentTypeFor('index.html')).toBe('text/html; charset=utf-8');
    expect(contentTypeFor('app.js')).toBe('text/javascript; charset=utf-8');
    expect(contentTypeFor('app.css')).toBe('text/css; charset=utf-8');
    expect(contentTypeFor('x/icon.SVG')).toBe('image/svg+xml');
    expect(contentTypeFor('font.woff2')).toBe('font/woff2');
    expect(contentTypeFor('app.js.map')).toBe('application/json; charset=utf-8');
    expect(contentTypeFor('blob.bin')).toBe('application/octet-stream');
    expect(contentTypeFor('noext')).toBe('application/octet-stream');
  });
});
