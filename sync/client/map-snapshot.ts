/**
 * A location's map snapshot (issue 33), made on the sender's device from the tile server in
 * Settings → "Maps": the tiles around the point, the pin in the middle, one PNG copied into the
 * attachment store and sent as the message's image, so recipients never contact the tile server.
 *
 * The tile server is not trusted: only its one origin is asked, redirects are refused, each tile is
 * capped in bytes and must be a PNG or JPEG of exactly one tile's size (read from its header before
 * anything is decoded, so a tile claiming huge dimensions is never decoded), and all of it must come
 * within the timeout. Any failure is a code; the renderer then sends the location without a map.
 */
import { Readable } from 'node:stream';
import type SharpFunction from 'sharp';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { AppApiError } from '../app-api/contract.js';
import type { MapSnapshotFailure, MapSnapshotView } from '../app-api/locations-api.js';
import { TILE_SIZE, tileOrigin, tilesAround, tileUrl, type PlacedTile } from '../common/map-tiles.js';
import type { BlobStore } from './attachments/blob-store.js';

export const MAP_SNAPSHOT = {
  zoom: 15,
  width: 600,
  height: 300,
  /** A 256-pixel PNG tile is 10–60 KB; one far larger is not a tile. */
  maxTileBytes: 512 * 1024,
  /** 600×300 needs at most 4×3 tiles. */
  maxTiles: 12,
  /** The snapshot as stored: a PNG of 600×300 stays well under this. */
  maxSnapshotBytes: 4 * 1024 * 1024,
} as const;

/** The snapshot's file name, as its message's attachment. */
export const MAP_SNAPSHOT_NAME = 'map.png';
/** How long a snapshot's tiles may take altogether before the location goes without one. */
export const MAP_TILES_TIMEOUT_MS = 10_000;

/** A teardrop pin, its tip at the bottom centre (where the point is). */
const PIN_WIDTH = 32;
const PIN_HEIGHT = 44;
const PIN_SVG = Buffer.from(
  `<svg xmlns="http://www.w3.org/2000/svg" width="${PIN_WIDTH}" height="${PIN_HEIGHT}" viewBox="0 0 32 44">` +
    '<path d="M16 43C16 43 2 26 2 16a14 14 0 0 1 28 0c0 10-14 27-14 27z" fill="#d93025" stroke="#7a1410" stroke-width="2"/>' +
    '<circle cx="16" cy="16" r="5.5" fill="#fff"/></svg>',
);
/** Where no tile is (beyond the poles), the colour of OSM's land. */
const BACKGROUND = { r: 242, g: 239, b: 233, alpha: 1 };

export interface MapSnapshotDeps {
  fetch: typeof globalThis.fetch;
  /** The configured tile URL template (preferences), or null. */
  template(): string | null;
  blobs: BlobStore;
  /** How long the tiles may take altogether. */
  timeoutMs: number;
}

type Sharp = typeof SharpFunction;

/** Loaded on first use: the core starts without the native image library. */
let sharpModule: Promise<Sharp> | null = null;
function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then(
    (module) => module.default,
    () => {
      sharpModule = null;
      throw failure('map_unavailable');
    },
  );
  return sharpModule;
}

function failure(code: MapSnapshotFailure): AppApiError {
  return new AppApiError('refused', code);
}

/** Makes the snapshot of the point and stores it; refused with a MAP_SNAPSHOT_FAILURES code. */
export async function makeMapSnapshot(deps: MapSnapshotDeps, point: { lat: number; lon: number }): Promise<MapSnapshotView> {
  const template = deps.template();
  if (template === null) throw failure('map_not_configured');
  const { width, height, zoom } = MAP_SNAPSHOT;
  const placed = tilesAround(point, zoom, width, height);
  if (placed.length > MAP_SNAPSHOT.maxTiles) throw failure('map_tile_refused');
  const sharp = await loadSharp();
  // One tile refused ends the others too: the location goes without a map either way.
  const refused = new AbortController();
  const signal = AbortSignal.any([AbortSignal.timeout(deps.timeoutMs), refused.signal]);
  const tiles = await Promise.all(placed.map((tile) => fetchTile(deps.fetch, template, tile, signal, sharp))).catch(
    (error: unknown) => {
      refused.abort();
      throw error;
    },
  );
  // Tiles go on a canvas one tile wider each side (offsets are never below -256), then the
  // picture is cut out: sharp cuts before it composes within one pipeline, so two passes.
  const margin = TILE_SIZE;
  const canvas = await sharp({
    create: { width: width + 2 * margin, height: height + 2 * margin, channels: 4, background: BACKGROUND },
  })
    .composite(
      tiles.map((input, index) => ({
        input,
        left: (placed[index]?.left ?? 0) + margin,
        top: (placed[index]?.top ?? 0) + margin,
      })),
    )
    .png()
    .toBuffer();
  const png = await sharp(canvas)
    .extract({ left: margin, top: margin, width, height })
    .composite([{ input: PIN_SVG, left: Math.round(width / 2 - PIN_WIDTH / 2), top: Math.round(height / 2 - PIN_HEIGHT) }])
    .png()
    .toBuffer();
  const stored = await deps.blobs.put(Readable.from([png]), MAP_SNAPSHOT.maxSnapshotBytes);
  return { sha256: stored.sha256, width, height };
}

/** Tile servers ask apps to name themselves (OpenStreetMap's tile usage policy); nothing names the person. */
export const TILE_REQUEST_HEADERS = { accept: 'image/png,image/jpeg', 'user-agent': 'OfflineMessenger-Maps/1.0' } as const;

/** One tile's bytes, checked to be a tile: from the template's origin, an image of one tile's size. */
async function fetchTile(fetch: MapSnapshotDeps['fetch'], template: string, tile: PlacedTile, signal: AbortSignal, sharp: Sharp) {
  const url = tileUrl(template, tile);
  if (new URL(url).origin !== tileOrigin(template)) throw failure('map_tile_refused');
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'manual', signal, credentials: 'omit', headers: TILE_REQUEST_HEADERS });
  } catch {
    throw failure('map_unreachable');
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw failure('map_tile_refused');
  }
  if (!/^image\/(png|jpeg)\b/i.test(response.headers.get('content-type') ?? '')) {
    await response.body?.cancel().catch(() => undefined);
    throw failure('map_tile_not_image');
  }
  const bytes = await readCapped(response, MAP_SNAPSHOT.maxTileBytes);
  // The header alone: a tile's claimed size is checked before a single pixel is decoded.
  const metadata = await sharp(bytes)
    .metadata()
    .catch(() => null);
  const format = metadata?.format;
  if (!metadata || (format !== 'png' && format !== 'jpeg') || metadata.width !== TILE_SIZE || metadata.height !== TILE_SIZE) {
    throw failure('map_tile_not_image');
  }
  // Decoded here, within one tile's pixels, so damaged data fails now rather than in the composite.
  await sharp(bytes, { limitInputPixels: TILE_SIZE * TILE_SIZE })
    .raw()
    .toBuffer()
    .catch(() => {
      throw failure('map_tile_not_image');
    });
  return bytes;
}

/** The body, refused as soon as it passes `maxBytes` (a Content-Length saying less is not trusted). */
async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  if (Number(response.headers.get('content-length') ?? '0') > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw failure('map_tile_too_large');
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body as NodeReadableStream<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw failure('map_tile_too_large');
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof AppApiError) throw error;
    throw failure('map_unreachable');
  }
  return Buffer.concat(chunks, size);
}
