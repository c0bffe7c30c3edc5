/** The interactive map's style: the one tile server's raster tiles, nothing fetched from elsewhere. */
import { describe, expect, it } from 'vitest';
import { rasterStyle } from '../../../renderer/map/raster-style.js';
import { contentTypeFor } from '../../../main/common/static-files.js';

describe('the interactive map', () => {
  it('draws the tile server’s raster tiles with their attribution, and names no other URL', () => {
    const template = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
    const style = rasterStyle(template, '© OpenStreetMap contributors');
    expect(style.sources).toEqual({
      tiles: { type: 'raster', tiles: [template], tileSize: 256, maxzoom: 19, attribution: '© OpenStreetMap contributors' },
    });
    expect(style.layers).toEqual([{ id: 'tiles', type: 'raster', source: 'tiles' }]);
    expect(style.glyphs).toBeUndefined();
    expect(style.sprite).toBeUndefined();
  });

  it('loads maplibre and its worker as JavaScript modules from the page’s origin', () => {
    expect(contentTypeFor('/dist/renderer/maplibre/maplibre-gl-worker.mjs')).toBe('text/javascript; charset=utf-8');
  });
});
