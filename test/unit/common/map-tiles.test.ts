/** Settings → "Maps": which tile URL templates are taken, and the Web Mercator maths of a snapshot. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, preferencesSchema } from '../../../sync/app-api/preferences.js';
import {
  MAX_MERCATOR_LAT,
  TILE_SIZE,
  tileOrigin,
  tileTemplateProblem,
  tilesAround,
  tileUrl,
  worldPixel,
} from '../../../sync/common/map-tiles.js';

const OSM = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';

describe('a tile URL template', () => {
  it('is https with {z}, {x} and {y}, or plain http only to this machine', () => {
    expect(tileTemplateProblem(OSM)).toBeNull();
    expect(tileTemplateProblem('https://tiles.example/{z}/{x}/{y}.png?key=abc')).toBeNull();
    expect(tileTemplateProblem('http://127.0.0.1:4100/{z}/{x}/{y}.png')).toBeNull();
    expect(tileTemplateProblem('http://localhost:4100/tiles/{z}/{x}/{y}')).toBeNull();
  });

  it('is refused with the reason a person can act on', () => {
    expect(tileTemplateProblem('http://tile.openstreetmap.org/{z}/{x}/{y}.png')).toBe('not_https');
    expect(tileTemplateProblem('http://192.168.1.2/{z}/{x}/{y}.png')).toBe('not_https');
    expect(tileTemplateProblem('ftp://tiles.example/{z}/{x}/{y}.png')).toBe('not_https');
    expect(tileTemplateProblem('javascript:alert(1)//{z}{x}{y}')).toBe('not_https');
    expect(tileTemplateProblem('https://tile.openstreetmap.org/{z}/{x}.png')).toBe('missing_placeholders');
    expect(tileTemplateProblem('tile.openstreetmap.org/{z}/{x}/{y}.png')).toBe('not_a_url');
    expect(tileTemplateProblem('https://user:pw@tiles.example/{z}/{x}/{y}.png')).toBe('not_a_url');
    expect(tileTemplateProblem('https://tiles.example/{z}/{x}/{y}.png#frag')).toBe('not_a_url');
    expect(tileTemplateProblem('https://{z}.tiles.example/{z}/{x}/{y}.png')).toBe('not_a_url');
    expect(tileTemplateProblem(`https://tiles.example/{z}/{x}/{y}.png?${'a'.repeat(500)}`)).toBe('not_a_url');
  });

  it('is a device preference, none by default, and only a usable one is stored', () => {
    expect(DEFAULT_PREFERENCES.mapTileUrl).toBeNull();
    expect(preferencesSchema.safeParse({ ...DEFAULT_PREFERENCES, mapTileUrl: OSM }).success).toBe(true);
    const refused = preferencesSchema.safeParse({ ...DEFAULT_PREFERENCES, mapTileUrl: 'http://tiles.example/{z}/{x}/{y}' });
    expect(refused.error?.issues[0]?.message).toBe('not_https');
  });

  it('names one origin, and fills in a tile', () => {
    expect(tileOrigin(OSM)).toBe('https://tile.openstreetmap.org');
    expect(tileOrigin('http://127.0.0.1:4100/t/{z}/{x}/{y}.png')).toBe('http://127.0.0.1:4100');
    expect(tileUrl(OSM, { z: 15, x: 17_352, y: 9_523 })).toBe('https://tile.openstreetmap.org/15/17352/9523.png');
  });
});

describe('tile maths', () => {
  it('puts a point at its world pixel (Web Mercator)', () => {
    expect(worldPixel({ lat: 0, lon: 0 }, 0)).toEqual({ x: 128, y: 128 });
    const oslo = worldPixel({ lat: 59.9139, lon: 10.7522 }, 15);
    // Tile 17_362/9_531 at zoom 15 is central Oslo (as openstreetmap.org numbers it).
    expect(Math.floor(oslo.x / TILE_SIZE)).toBe(17_362);
    expect(Math.floor(oslo.y / TILE_SIZE)).toBe(9_531);
  });

  it('clamps the poles to where the map ends', () => {
    expect(worldPixel({ lat: 90, lon: 0 }, 3).y).toBeCloseTo(0, 6);
    expect(worldPixel({ lat: -90, lon: 0 }, 3).y).toBeCloseTo(TILE_SIZE * 8, 6);
    expect(worldPixel({ lat: MAX_MERCATOR_LAT, lon: 0 }, 3).y).toBeCloseTo(0, 3);
  });

  it('chooses the tiles around the point, with their offsets, the point in the middle', () => {
    const tiles = tilesAround({ lat: 0, lon: 0 }, 2, 600, 300);
    // The centre is pixel 512,512: columns from -88 to 512+300, rows from 362 to 662.
    expect(tiles.map(({ x, y }) => `${x}/${y}`)).toEqual(['0/1', '1/1', '2/1', '3/1', '0/2', '1/2', '2/2', '3/2']);
    expect(tiles[0]).toEqual({ z: 2, x: 0, y: 1, left: -212, top: -106 });
    expect(tiles.every((tile) => tile.left > -TILE_SIZE && tile.left < 600 && tile.top > -TILE_SIZE && tile.top < 300)).toBe(
      true,
    );
  });

  it('wraps around the antimeridian', () => {
    const tiles = tilesAround({ lat: 0, lon: 179.999 }, 3, 600, 300);
    const columns = [...new Set(tiles.map((tile) => tile.x))];
    expect(columns).toEqual([6, 7, 0, 1]);
    const west = tilesAround({ lat: 0, lon: -180 }, 3, 600, 300);
    expect([...new Set(west.map((tile) => tile.x))]).toEqual([6, 7, 0, 1]);
  });

  it('asks no tile beyond the poles', () => {
    const tiles = tilesAround({ lat: 90, lon: 0 }, 3, 600, 300);
    expect(tiles.every((tile) => tile.y === 0)).toBe(true);
    expect(tiles.length).toBeGreaterThan(0);
    expect(tilesAround({ lat: -90, lon: 0 }, 3, 600, 300).every((tile) => tile.y === 7)).toBe(true);
  });
});
