/**
 * The core's GIF client against a server that misbehaves: GIFs larger than the limit (declared or
 * not), bytes that are not a GIF, a redirect, garbage answers, and the memory the shown GIFs take.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refusalOf } from '../../support/app-api-errors.js';
import { BlobStore } from '../../../sync/client/attachments/blob-store.js';
import { GIF_MEMORY_BYTES, Gifs } from '../../../sync/client/gifs.js';
import { GIF_LIMITS } from '../../../sync/protocol/gif-frames.js';
import { memoryFileKeys } from '../../support/file-keys.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A GIF header followed by `size - 6` bytes. */
const gifOf = (size: number) => Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(size - 6, 1)]);

type Answer = (url: URL) => Response;

function gifsOver(answer: Answer): { gifs: Gifs; asked: string[] } {
  const asked: string[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'gifs-'));
  dirs.push(dir);
  const fetch: typeof globalThis.fetch = (input) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    asked.push(url.pathname + url.search);
    return Promise.resolve(answer(url));
  };
  const gifs = new Gifs({
    fetch,
    session: () => ({ httpBase: 'http://127.0.0.1:9', token: 't' }),
    blobs: new BlobStore(dir, memoryFileKeys()),
  });
  return { gifs, asked };
}

describe('the core’s GIF client', () => {
  it('refuses a GIF past the limit whether or not the server declared its size, and bytes that are not a GIF', async () => {
    const tooBig = gifOf(GIF_LIMITS.maxGifBytes + 1);
    const { gifs } = gifsOver((url) => {
      if (url.pathname.endsWith('/declared'))
        return new Response(tooBig, { headers: { 'content-length': String(tooBig.length) } });
      // A body streamed without its length: counted as it comes.
      if (url.pathname.endsWith('/streamed'))
        return new Response(ReadableStream.from([tooBig.subarray(0, 1000), tooBig.subarray(1000)]));
      if (url.pathname.endsWith('/png')) return new Response(Buffer.from('\x89PNG\r\n\x1a\n'));
      return new Response(gifOf(100));
    });
    expect(await refusalOf(gifs.bytes('declared', 'original'))).toBe('refused:gif_too_large');
    expect(await refusalOf(gifs.bytes('streamed', 'original'))).toBe('refused:gif_too_large');
    expect(await refusalOf(gifs.bytes('png', 'original'))).toBe('refused:gif_not_gif');
    expect((await gifs.bytes('fine', 'original')).length).toBe(100);
    expect(await refusalOf(gifs.bytes('../../v1/accounts', 'original'))).toBe('invalid_argument:not_a_gif_id');
  });

  it('never follows a redirect with the token, and reads garbage as a failed provider', async () => {
    const { gifs } = gifsOver((url) =>
      url.pathname.startsWith('/v1/gifs/search')
        ? new Response('{"results": "many"}', { headers: { 'content-type': 'application/json' } })
        : new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/' } }),
    );
    expect(await refusalOf(gifs.bytes('cat', 'original'))).toBe('refused:redirect_refused');
    expect(await refusalOf(gifs.search('cat', 0))).toBe('refused:gif_provider_failed');
  });

  it('keeps the GIFs shown in memory up to its budget, dropping the least recently shown first', async () => {
    const each = GIF_LIMITS.maxGifBytes;
    const fitting = Math.floor(GIF_MEMORY_BYTES / each);
    const { gifs, asked } = gifsOver(() => new Response(gifOf(each)));
    const ids = Array.from({ length: fitting }, (_, i) => String.fromCharCode(97 + i));
    for (const id of ids) await gifs.bytes(id, 'original');
    await gifs.bytes('a', 'original'); // shown again: now the most recent
    await gifs.bytes('z', 'original'); // over budget: b, the least recently shown, goes
    asked.length = 0;
    await gifs.bytes('a', 'original');
    await gifs.bytes('b', 'original');
    expect(asked).toEqual(['/v1/gifs/b']);
  });

  it('keeps a GIF’s preview and original apart, asking for the preview by name', async () => {
    const { gifs, asked } = gifsOver((url) => new Response(gifOf(url.search === '?rendition=preview' ? 10 : 20)));
    expect((await gifs.bytes('cat', 'preview')).length).toBe(10);
    expect((await gifs.bytes('cat', 'original')).length).toBe(20);
    expect((await gifs.bytes('cat', 'preview')).length).toBe(10);
    expect(asked).toEqual(['/v1/gifs/cat?rendition=preview', '/v1/gifs/cat']);
  });

  it('asks the server once for a GIF requested twice at the same time', async () => {
    const { gifs, asked } = gifsOver(() => new Response(gifOf(10)));
    const [first, second] = await Promise.all([gifs.bytes('cat', 'original'), gifs.bytes('cat', 'original')]);
    expect(first.equals(second)).toBe(true);
    expect(asked).toEqual(['/v1/gifs/cat']);
  });
});
