/**
 * Loads maplibre-gl from the page's own origin on first use (maplibre-files.ts), with its worker
 * from there too and its stylesheet linked once. Whether this device can draw it at all (WebGL) is
 * asked first, so the map can say so in words instead.
 */
import { MAPLIBRE_DIR, MAPLIBRE_FILES } from './maplibre-files.js';

type Maplibre = typeof import('maplibre-gl');

let loading: Promise<Maplibre> | null = null;

const fileUrl = (file: string) => new URL(`${MAPLIBRE_DIR}/${file}`, document.baseURI).href;

export function loadMaplibre(): Promise<Maplibre> {
  loading ??= (async () => {
    if (!document.querySelector('link[data-maplibre]')) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = fileUrl(MAPLIBRE_FILES.style);
      link.dataset.maplibre = '';
      document.head.append(link);
    }
    // A URL, not a module name: the bundle keeps this import as it is, and the file is loaded from the page's origin.
    const maplibre = (await import(fileUrl(MAPLIBRE_FILES.script))) as Maplibre;
    maplibre.setWorkerUrl(fileUrl(MAPLIBRE_FILES.worker));
    return maplibre;
  })();
  loading.catch(() => (loading = null));
  return loading;
}

/** Whether this device can draw a WebGL map (maplibre needs it). */
export function hasWebGl(): boolean {
  try {
    const canvas = document.createElement('canvas');
    return !!(canvas.getContext('webgl2') ?? canvas.getContext('webgl'));
  } catch {
    return false;
  }
}
