import { gzipSync } from 'node:zlib';
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLinkPreviewFetcher, type LinkPreviewFetcherOptions } from '../../../sync/node/link-preview/fetcher.js';
import { safeGet, systemResolver } from '../../../sync/node/link-preview/safe-get.js';
import { htmlPage, PREVIEW_PAGE, startPreviewSite, TINY_PNG, type PreviewSite } from '../../support/link-preview-site.js';

const MB = 1024 * 1024;

let site: PreviewSite;

/** Names the tests make up; everything else goes to the system resolver. */
const names: Record<string, LookupAddress[]> = {
  'preview.test': [{ address: '127.0.0.1', family: 4 }],
  'internal.test': [{ address: '10.0.0.1', family: 4 }],
  'metadata.test': [{ address: '169.254.169.254', family: 4 }],
  'public.test': [{ address: '93.184.216.34', family: 4 }],
  'other-loopback.test': [
    { address: '::1', family: 6 },
    { address: '127.0.0.2', family: 4 },
  ],
  'mixed.test': [
    { address: '10.0.0.1', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ],
};
const resolve = vi.fn(async (hostname: string) => names[hostname] ?? systemResolver(hostname));

function fetcher(options: LinkPreviewFetcherOptions = {}) {
  return createLinkPreviewFetcher({ allowLoopback: true, resolve, ...options });
}

function paths(): string[] {
  return site.requests.map((request) => request.path);
}

beforeAll(async () => {
  site = await startPreviewSite();
  const redirect = (location: string) => (_request: unknown, response: import('node:http').ServerResponse) => {
    response.writeHead(302, { Location: location });
    response.end();
  };
  for (let n = 1; n <= 10; n++) site.route(`/hop/${n}`, redirect(n === 1 ? '../page' : `/hop/${n - 1}`));
  site.route('/loop', redirect('/loop'));
  site.route('/to-private', redirect('http://10.0.0.1/'));
  site.route('/to-metadata', redirect('http://169.254.169.254/latest/meta-data/'));
  site.route('/to-internal-name', redirect(`http://internal.test:${site.port}/page`));
  site.route('/to-metadata-name', redirect(`https://metadata.test/`));
  site.route('/to-file', redirect('file:///etc/passwd'));
  site.route('/set-cookie', (_request, response) => {
    response.writeHead(302, { Location: '/page', 'Set-Cookie': 'session=secret; Path=/' });
    response.end();
  });
  site.route('/json', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end('{"title":"<title>Not HTML</title>"}');
  });
  site.route('/gzip', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' });
    response.end(gzipSync(htmlPage('<title>Compressed</title>')));
  });
  site.route('/never', () => {
    // Never answers.
  });
  site.route('/slow', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' });
    response.write('<html><head><title>Slow</title>');
    // ... and the rest never comes.
  });
  site.route('/big-image.png', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'image/png' });
    response.end(Buffer.concat([TINY_PNG, Buffer.alloc(2 * MB)]));
  });
  site.route('/huge-picture.png', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'image/png' });
    response.end(pngClaiming(20_000, 20_000));
  });
  site.route('/fake-image.png', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'image/png' });
    response.end('<svg onload="alert(1)"></svg>');
  });
  for (const [path, image] of [
    ['/with-big-image', '/big-image.png'],
    ['/with-fake-image', '/fake-image.png'],
    ['/with-huge-picture', '/huge-picture.png'],
    ['/with-private-image', 'http://10.0.0.1/image.png'],
    ['/with-missing-image', '/nothing.png'],
  ] as const) {
    site.route(path, (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(htmlPage(`<meta property="og:title" content="Has image"><meta property="og:image" content="${image}">`));
    });
  }
});

afterAll(async () => {
  await site.close();
});

beforeEach(() => {
  site.requests.length = 0;
  resolve.mockClear();
});

describe('link preview fetcher (allowLoopback, local site)', () => {
  it('builds a preview from Open Graph tags, with the image as a data: URL', async () => {
    const url = site.url('/page');
    const preview = await fetcher().fetch(url);
    expect(preview).toEqual({
      url,
      title: PREVIEW_PAGE.title,
      description: PREVIEW_PAGE.description,
      image: `data:image/png;base64,${TINY_PNG.toString('base64')}`,
    });
    expect(paths()).toEqual(['/page', '/image.png']);
  });

  it('falls back to <title> and meta description', async () => {
    expect(await fetcher().fetch(site.url('/plain'))).toEqual({
      url: site.url('/plain'),
      title: 'Plain page',
      description: 'Just a description',
      image: null,
    });
  });

  it('has no preview for a page without a title', async () => {
    expect(await fetcher().fetchOutcome(site.url('/no-title'))).toEqual({ ok: true, preview: null });
  });

  it('returns a hostile title as plain text, decoded once', async () => {
    const preview = await fetcher().fetch(site.url('/hostile'));
    expect(preview?.title).toBe(`<b>bold</b> <script>alert("x")</script> &lt;i&gt; "quoted" 'single'`);
    expect(preview?.description).toBe('<img src=x onerror=alert(1)> "hi"');
  });

  it('sends a plain User-Agent and no cookies, and keeps none', async () => {
    const preview = await fetcher().fetch(site.url('/set-cookie'));
    expect(preview?.title).toBe(PREVIEW_PAGE.title);
    expect(paths()).toEqual(['/set-cookie', '/page', '/image.png']);
    for (const request of site.requests) {
      expect(request.headers.cookie).toBeUndefined();
      expect(request.headers['user-agent']).toBe('OfflineMessenger-LinkPreview/1.0');
    }
  });

  it('resolves host names through the checked lookup and connects to the checked address', async () => {
    const preview = await fetcher().fetch(`http://preview.test:${site.port}/page`);
    expect(preview?.title).toBe(PREVIEW_PAGE.title);
    expect(resolve).toHaveBeenCalledWith('preview.test');
    // Of a name's addresses, only the allowed ones are connected to.
    expect((await fetcher().fetch(`http://mixed.test:${site.port}/plain`))?.title).toBe('Plain page');
  });

  it('reads compressed pages', async () => {
    expect((await fetcher().fetch(site.url('/gzip')))?.title).toBe('Compressed');
  });

  it('refuses content that is not HTML', async () => {
    expect(await fetcher().fetchOutcome(site.url('/json'))).toMatchObject({ ok: false, reason: 'wrong_type' });
    expect(await fetcher().fetch(site.url('/image.png'))).toBeNull();
  });

  it('refuses a redirect to a private or link-local address without connecting', async () => {
    for (const path of ['/to-private', '/to-metadata']) {
      // Refused before connecting: an attempt to connect to an unreachable address ends as network or timeout.
      expect(await fetcher().fetchOutcome(site.url(path))).toMatchObject({ ok: false, reason: 'address_refused' });
    }
    expect(paths()).toEqual(['/to-private', '/to-metadata']);
  });

  it('refuses a redirect to a name that resolves to a private address, at lookup', async () => {
    expect(await fetcher().fetchOutcome(site.url('/to-internal-name'))).toMatchObject({
      ok: false,
      reason: 'address_refused',
    });
    expect(resolve).toHaveBeenCalledWith('internal.test');
    expect(await fetcher().fetchOutcome(site.url('/to-metadata-name'))).toMatchObject({
      ok: false,
      reason: 'address_refused',
    });
    expect(paths()).toEqual(['/to-internal-name', '/to-metadata-name']);
  });

  it('refuses a redirect to another scheme', async () => {
    expect(await fetcher().fetchOutcome(site.url('/to-file'))).toMatchObject({ ok: false, reason: 'scheme_refused' });
  });

  it('follows up to 5 redirects (relative ones resolved), not 6, and stops a loop', async () => {
    expect((await fetcher().fetch(site.url('/hop/5')))?.title).toBe(PREVIEW_PAGE.title);
    expect(paths()).toEqual(['/hop/5', '/hop/4', '/hop/3', '/hop/2', '/hop/1', '/page', '/image.png']);
    site.requests.length = 0;
    expect(await fetcher().fetchOutcome(site.url('/hop/6'))).toMatchObject({ ok: false, reason: 'too_many_redirects' });
    expect(paths()).toEqual(['/hop/6', '/hop/5', '/hop/4', '/hop/3', '/hop/2', '/hop/1']);
    site.requests.length = 0;
    expect(await fetcher().fetchOutcome(site.url('/loop'))).toMatchObject({ ok: false, reason: 'too_many_redirects' });
    expect(paths()).toHaveLength(6);
  });

  it('reads only the first 1 MB of an endless page and still finds an early title', async () => {
    let written = 0;
    let closed: () => void;
    const serverClosed = new Promise<void>((done) => (closed = done));
    site.route('/endless', (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.write('<html><head><title>Endless page</title></head><body>');
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!response.destroyed && written < 200 * MB) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => closed());
      pump();
    });
    const preview = await fetcher().fetch(site.url('/endless'));
    expect(preview?.title).toBe('Endless page');
    await serverClosed;
    // The connection was dropped long before the 200 MB were sent (socket buffers hold a few MB at most).
    expect(written).toBeLessThan(64 * MB);
  });

  it('keeps exactly 1 MB of a longer body and says it was cut', async () => {
    site.route('/two-mb', (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end(Buffer.alloc(2 * MB, 'b'));
    });
    const controller = new AbortController();
    const result = await safeGet(site.url('/two-mb'), {
      policy: { allowLoopback: true },
      resolve,
      signal: controller.signal,
      maxRedirects: 5,
      maxBytes: MB,
      overflow: 'truncate',
      accept: 'text/html',
      acceptType: () => true,
      userAgent: 'test',
    });
    expect(result.body.length).toBe(MB);
    expect(result.truncated).toBe(true);
  });

  it('gives up on a page that is too slow (overall timeout)', async () => {
    for (const path of ['/slow', '/never']) {
      expect(await fetcher({ timeoutMs: 300 }).fetchOutcome(site.url(path))).toMatchObject({ ok: false, reason: 'timeout' });
    }
  });

  it('leaves out an image that is too large, claims too many pixels, is not an image, refused or missing', async () => {
    for (const path of [
      '/with-big-image',
      '/with-huge-picture',
      '/with-fake-image',
      '/with-private-image',
      '/with-missing-image',
    ]) {
      expect(await fetcher().fetch(site.url(path))).toEqual({
        url: site.url(path),
        title: 'Has image',
        description: '',
        image: null,
      });
    }
  });
});

describe('link preview fetcher without allowLoopback (https only, public addresses only)', () => {
  it('refuses http', async () => {
    expect(await createLinkPreviewFetcher({ resolve }).fetchOutcome(site.url('/page'))).toMatchObject({
      ok: false,
      reason: 'scheme_refused',
    });
    expect(await createLinkPreviewFetcher({ resolve }).fetchOutcome('http://public.test/')).toMatchObject({
      ok: false,
      reason: 'scheme_refused',
    });
    expect(paths()).toEqual([]);
  });

  it('refuses loopback and private addresses over https, literal or resolved', async () => {
    const strict = createLinkPreviewFetcher({ resolve });
    for (const url of [
      `https://127.0.0.1:${site.port}/page`,
      `https://[::1]:${site.port}/page`,
      `https://[::ffff:10.0.0.1]/`,
      'https://10.0.0.1/',
      'https://0.0.0.0/',
      `https://preview.test:${site.port}/page`,
      'https://internal.test/',
      'https://metadata.test/',
    ]) {
      expect(await strict.fetchOutcome(url)).toMatchObject({ ok: false, reason: 'address_refused' });
    }
    expect(paths()).toEqual([]);
  });

  it('with allowLoopback, allows http only to 127.0.0.1', async () => {
    expect(await fetcher().fetchOutcome('http://public.test/')).toMatchObject({ ok: false, reason: 'address_refused' });
    expect(await fetcher().fetchOutcome('http://93.184.216.34/')).toMatchObject({ ok: false, reason: 'address_refused' });
    // No other loopback address, literal or resolved, over http or https.
    for (const url of [
      `http://127.0.0.2:${site.port}/page`,
      `http://[::1]:${site.port}/page`,
      `http://other-loopback.test:${site.port}/page`,
      `https://127.0.0.2:${site.port}/page`,
      `https://[::1]:${site.port}/page`,
    ]) {
      expect(await fetcher().fetchOutcome(url)).toMatchObject({ ok: false, reason: 'address_refused' });
    }
    expect(paths()).toEqual([]);
  });

  it('refuses other schemes and malformed addresses; fetch itself never throws', async () => {
    const strict = createLinkPreviewFetcher({ resolve });
    expect(await strict.fetchOutcome('javascript:alert(1)')).toMatchObject({ ok: false, reason: 'scheme_refused' });
    expect(await strict.fetchOutcome('file:///etc/passwd')).toMatchObject({ ok: false, reason: 'scheme_refused' });
    expect(await strict.fetchOutcome('not a url')).toMatchObject({ ok: false, reason: 'invalid_url' });
    expect(await strict.fetchOutcome('https://user:pw@public.test/')).toMatchObject({ ok: false, reason: 'invalid_url' });
    await expect(strict.fetch('https://internal.test/')).resolves.toBeNull();
  });
});

/** TINY_PNG with its header's width and height rewritten: a few bytes that claim a huge picture. */
function pngClaiming(width: number, height: number): Buffer {
  const png = Buffer.from(TINY_PNG);
  // The IHDR chunk's data starts after the 8-byte signature and the chunk's length and type.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  return png;
}
