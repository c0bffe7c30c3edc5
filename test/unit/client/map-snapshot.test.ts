/**
 * A location's map snapshot against a tile server that behaves and ones that do not: a huge tile
 * (declared or streamed), the wrong type, a redirect, a slow server, bytes that are not an image,
 * an image claiming a huge size, none reachable. Each is a clear code, and nothing is stored.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { refusalOf } from '../../support/app-api-errors.js';
import { AppApiError } from '../../../sync/app-api/contract.js';
import { tilesAround } from '../../../sync/common/map-tiles.js';
import { BlobStore } from '../../../sync/client/attachments/blob-store.js';
import { MAP_SNAPSHOT, makeMapSnapshot, TILE_REQUEST_HEADERS } from '../../../sync/client/map-snapshot.js';
import { memoryFileKeys } from '../../support/file-keys.js';

const TEMPLATE = 'http://127.0.0.1:4100/tiles/{z}/{x}/{y}.png';
const POINT = { lat: 59.9139, lon: 10.7522 };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

let tile: Buffer;
beforeAll(async () => {
  tile = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 40, g: 120, b: 200 } } })
    .png()
    .toBuffer();
});

const png = (body: ConstructorParameters<typeof Response>[0]) => new Response(body, { headers: { 'content-type': 'image/png' } });

function snapshotOver(
  answer: (url: URL, init: RequestInit | undefined) => Response | Promise<Response>,
  template: string | null = TEMPLATE,
) {
  const asked: string[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'map-snapshot-'));
  dirs.push(dir);
  const blobs = new BlobStore(dir, memoryFileKeys());
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    asked.push(url.href);
    return answer(url, init);
  };
  const make = () => makeMapSnapshot({ fetch, template: () => template, blobs, timeoutMs: 200 }, POINT);
  return { make, asked, blobs, dir };
}

describe('a map snapshot', () => {
  it('is the tiles around the point with the pin in the middle, stored as one PNG, asked only of the template’s host', async () => {
    const { make, asked, blobs } = snapshotOver((_url, init) => {
      expect(new Headers(init?.headers).get('user-agent')).toBe(TILE_REQUEST_HEADERS['user-agent']);
      return png(tile);
    });
    const made = await make();
    expect(made).toMatchObject({ width: MAP_SNAPSHOT.width, height: MAP_SNAPSHOT.height });
    const expected = tilesAround(POINT, MAP_SNAPSHOT.zoom, MAP_SNAPSHOT.width, MAP_SNAPSHOT.height);
    expect(asked.sort()).toEqual(expected.map((t) => `http://127.0.0.1:4100/tiles/15/${t.x}/${t.y}.png`).sort());
    const chunks: Buffer[] = [];
    for await (const chunk of blobs.read(made.sha256)) chunks.push(Buffer.from(chunk as Uint8Array));
    const image = sharp(Buffer.concat(chunks));
    expect(await image.metadata()).toMatchObject({ format: 'png', width: 600, height: 300 });
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    expect(at(10, 10)).toEqual([40, 120, 200]); // a tile
    expect(at(300, 135)).toEqual([217, 48, 37]); // the pin, just above the point
  });

  it('is not made without a tile server', async () => {
    const { make, asked } = snapshotOver(() => png(tile), null);
    expect(await refusalOf(make())).toBe('refused:map_not_configured');
    expect(asked).toEqual([]);
  });

  it('refuses a tile too large, whether its size is declared or streamed', async () => {
    const huge = Buffer.alloc(MAP_SNAPSHOT.maxTileBytes + 1, 1);
    expect(await refusalOf(snapshotOver(() => png(huge)).make())).toBe('refused:map_tile_too_large');
    const streamed = () => png(ReadableStream.from([huge.subarray(0, 1000), huge.subarray(1000)]));
    expect(await refusalOf(snapshotOver(streamed).make())).toBe('refused:map_tile_too_large');
  });

  it('refuses what is not said to be an image, and bytes that are not one', async () => {
    const html = () => new Response('<html>', { headers: { 'content-type': 'text/html' } });
    expect(await refusalOf(snapshotOver(html).make())).toBe('refused:map_tile_not_image');
    expect(await refusalOf(snapshotOver(() => png('not a png at all')).make())).toBe('refused:map_tile_not_image');
    const truncated = () => png(tile.subarray(0, 60));
    expect(await refusalOf(snapshotOver(truncated).make())).toBe('refused:map_tile_not_image');
  });

  it('refuses an image of another size, and one claiming huge dimensions, by its header', async () => {
    const bigger = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(await refusalOf(snapshotOver(() => png(bigger)).make())).toBe('refused:map_tile_not_image');
    // 8000×8000 pixels in a few kilobytes: never decoded.
    const bomb = await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#000' }, limitInputPixels: false })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(MAP_SNAPSHOT.maxTileBytes);
    expect(await refusalOf(snapshotOver(() => png(bomb)).make())).toBe('refused:map_tile_not_image');
  });

  it('never follows a redirect', async () => {
    const { make, asked } = snapshotOver((url, init) => {
      expect(init?.redirect).toBe('manual');
      return new Response(null, { status: 302, headers: { location: `https://elsewhere.example${url.pathname}` } });
    });
    expect(await refusalOf(make())).toBe('refused:map_tile_refused');
    expect(asked.every((href) => href.startsWith('http://127.0.0.1:4100/'))).toBe(true);
  });

  it('gives up on a server too slow, or one not there', async () => {
    const slow = (_url: URL, init: RequestInit | undefined) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    expect(await refusalOf(snapshotOver(slow).make())).toBe('refused:map_unreachable');
    const gone = () => Promise.reject(new TypeError('fetch failed'));
    expect(await refusalOf(snapshotOver(gone).make())).toBe('refused:map_unreachable');
  });

  it('stops asking for the other tiles once one is refused', async () => {
    const waiting: AbortSignal[] = [];
    const { make } = snapshotOver((url, init) => {
      if (url.pathname.endsWith('9531.png')) return new Response(null, { status: 404 });
      if (init?.signal) waiting.push(init.signal);
      return new Promise<Response>(() => undefined);
    });
    expect(await refusalOf(make())).toBe('refused:map_tile_refused');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((signal) => signal.aborted)).toBe(true);
  });

  it('stores nothing when it fails', async () => {
    const { make, dir } = snapshotOver((url) => (url.pathname.endsWith('9531.png') ? png('nope') : png(tile)));
    await expect(make()).rejects.toThrow(AppApiError);
    const stored = readdirSync(dir, { recursive: true }).filter((name) => String(name).match(/[0-9a-f]{64}/));
    expect(stored).toEqual([]);
  });
});
