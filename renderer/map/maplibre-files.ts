/**
 * maplibre-gl's files, copied by scripts/build.ts next to the page (dist/renderer/maplibre/) rather
 * than bundled: the interactive map is loaded only when it is first opened, its worker is our own
 * file (the CSP's worker-src 'self', no blob: workers), and its stylesheet comes with it. Pure: no DOM.
 */
export const MAPLIBRE_DIR = 'maplibre';
export const MAPLIBRE_FILES = { script: 'maplibre-gl.mjs', worker: 'maplibre-gl-worker.mjs', style: 'maplibre-gl.css' } as const;
