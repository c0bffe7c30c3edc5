/**
 * Map tiles (issue 33, Settings → "Maps"): the tile server's URL template and the Web Mercator
 * maths a snapshot needs. Pure, so the preference's schema, the core's snapshot, the hosts' CSP and
 * the renderer's map agree on what a template is and which host it names.
 */
import { z } from 'zod';

export const TILE_SIZE = 256;
/** Where Web Mercator stops: beyond it the world is not square, so a point is clamped to it. */
export const MAX_MERCATOR_LAT = 85.0511287798;
export const MAX_TILE_URL_CHARS = 500;

/** Why a template is not usable (the renderer puts each in words). */
export type TileTemplateProblem = 'not_a_url' | 'not_https' | 'missing_placeholders';

const PLACEHOLDERS = ['{z}', '{x}', '{y}'] as const;
/** Plain http is allowed only to this machine: the tests' tile server. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** A template filled in with zeros, as URL parsing sees it. */
function parsedTemplate(template: string): URL | null {
  try {
    return new URL(template.replaceAll('{z}', '0').replaceAll('{x}', '0').replaceAll('{y}', '0'));
  } catch {
    return null;
  }
}

/** What is wrong with a tile URL template, or null when it is usable. */
export function tileTemplateProblem(template: string): TileTemplateProblem | null {
  if (template.length > MAX_TILE_URL_CHARS || /\s/.test(template)) return 'not_a_url';
  const url = parsedTemplate(template);
  if (!url || url.username !== '' || url.password !== '' || url.hash !== '') return 'not_a_url';
  // The placeholders belong in the path or query: a template cannot choose its host per tile.
  const authority = /^[a-z]+:\/\/[^/?#]*/i.exec(template)?.[0] ?? '';
  if (PLACEHOLDERS.some((placeholder) => authority.includes(placeholder))) return 'not_a_url';
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) return 'not_https';
  if (PLACEHOLDERS.some((placeholder) => !template.includes(placeholder))) return 'missing_placeholders';
  return null;
}

/** Settings → "Maps" → "Tile server URL": a checked template. */
export const tileTemplate = z.string().superRefine((template, context) => {
  const problem = tileTemplateProblem(template);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** The one origin a template's tiles come from (what the CSP and the snapshot's fetches allow). */
export function tileOrigin(template: string): string {
  const url = parsedTemplate(template);
  if (!url) throw new Error('not a tile URL template');
  return url.origin;
}

/** One tile's URL. */
export function tileUrl(template: string, tile: { z: number; x: number; y: number }): string {
  return template.replaceAll('{z}', String(tile.z)).replaceAll('{x}', String(tile.x)).replaceAll('{y}', String(tile.y));
}

/** A point in the world's pixels at a zoom (Web Mercator, 256-pixel tiles), latitude clamped. */
export function worldPixel(point: { lat: number; lon: number }, zoom: number): { x: number; y: number } {
  const size = TILE_SIZE * 2 ** zoom;
  const lat = Math.max(-MAX_MERCATOR_LAT, Math.min(MAX_MERCATOR_LAT, point.lat));
  const sin = Math.sin((lat * Math.PI) / 180);
  const x = ((point.lon + 180) / 360) * size;
  const y = (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size;
  return { x: Math.min(x, size), y: Math.max(0, Math.min(size, y)) };
}

/** A tile placed in a picture: which tile, and where its top-left corner goes. */
export interface PlacedTile {
  z: number;
  x: number;
  y: number;
  left: number;
  top: number;
}

/**
 * The tiles a `width`×`height` picture centred on the point needs, and where each goes. Across the
 * antimeridian the tile columns wrap around; above and below the poles there are no tiles (the
 * picture's background shows).
 */
export function tilesAround(point: { lat: number; lon: number }, zoom: number, width: number, height: number): PlacedTile[] {
  const centre = worldPixel(point, zoom);
  const count = 2 ** zoom;
  const left = centre.x - width / 2;
  const top = centre.y - height / 2;
  const tiles: PlacedTile[] = [];
  for (let row = Math.floor(top / TILE_SIZE); row * TILE_SIZE < top + height; row++) {
    if (row < 0 || row >= count) continue;
    for (let column = Math.floor(left / TILE_SIZE); column * TILE_SIZE < left + width; column++) {
      tiles.push({
        z: zoom,
        x: ((column % count) + count) % count,
        y: row,
        left: Math.round(column * TILE_SIZE - left),
        top: Math.round(row * TILE_SIZE - top),
      });
    }
  }
  return tiles;
}
