/**
 * The interactive map's style, built from the tile server's URL template (Settings → "Maps"): one
 * raster layer of its tiles, nothing fetched from anywhere else (no glyphs, sprites or style URL).
 */
import type { StyleSpecification } from 'maplibre-gl';
import { TILE_SIZE } from '../../sync/common/map-tiles.js';

/**
 * `attribution`: whose map data it is, in the page's language (OpenStreetMap's tiles may not be
 * shown without it; other servers' data is mostly OSM's too).
 */
export function rasterStyle(template: string, attribution: string): StyleSpecification {
  return {
    version: 8,
    sources: {
      tiles: { type: 'raster', tiles: [template], tileSize: TILE_SIZE, maxzoom: 19, attribution },
    },
    layers: [{ id: 'tiles', type: 'raster', source: 'tiles' }],
  };
}
