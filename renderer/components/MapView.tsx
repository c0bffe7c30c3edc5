import type { Map as MaplibreMap, Marker } from 'maplibre-gl';
import { useEffect, useRef, useState } from 'react';
import { roundCoordinate } from '../../sync/common/locations.js';
import { t } from '../i18n/index.js';
import { hasWebGl, loadMaplibre } from '../map/load-maplibre.js';
import { rasterStyle } from '../map/raster-style.js';
import type { Point } from '../state/location-draft.js';

/** Street level for a point; the whole world when there is none yet. */
const POINT_ZOOM = 15;
const WORLD_ZOOM = 1;

/**
 * The interactive map (maplibre-gl) of the tile server set in Settings → "Maps", centred on the
 * point with its pin; `onPick` makes a click choose a point (rounded to 6 decimals, as sent).
 * Without WebGL it says so in words, and the coordinates stay the way to a point.
 */
export function MapView({ template, point, onPick }: { template: string; point: Point | null; onPick?: (point: Point) => void }) {
  const container = useRef<HTMLDivElement>(null);
  const [problem, setProblem] = useState<string | null>(() => (hasWebGl() ? null : t.locations.noWebGl));
  const pick = useRef(onPick);
  useEffect(() => {
    pick.current = onPick;
  });
  const centre = useRef(point);

  // The map is made once per tile server: a chosen point moves its pin (below), not the map.
  const [map, setMap] = useState<{ map: MaplibreMap; marker: Marker } | null>(null);
  useEffect(() => {
    if (problem !== null || !container.current) return;
    const element = container.current;
    let removed = false;
    let remove = () => {};
    loadMaplibre()
      .then((maplibre) => {
        if (removed) return;
        const start = centre.current;
        const made = new maplibre.Map({
          container: element,
          style: rasterStyle(template, t.locations.attribution),
          center: start ? [start.lon, start.lat] : [0, 0],
          zoom: start ? POINT_ZOOM : WORLD_ZOOM,
          attributionControl: { compact: false },
        });
        const marker = new maplibre.Marker({ color: '#d93025' }).setLngLat(start ? [start.lon, start.lat] : [0, 0]);
        if (start) marker.addTo(made);
        made.on('click', (event) => {
          const chosen = { lat: roundCoordinate(event.lngLat.lat), lon: roundCoordinate(event.lngLat.wrap().lng) };
          if (!pick.current) return;
          marker.setLngLat([chosen.lon, chosen.lat]).addTo(made);
          pick.current(chosen);
        });
        setMap({ map: made, marker });
        remove = () => made.remove();
      })
      .catch(() => setProblem(t.locations.noWebGl));
    return () => {
      removed = true;
      remove();
    };
  }, [template, problem]);

  useEffect(() => {
    if (map && point) map.marker.setLngLat([point.lon, point.lat]).addTo(map.map);
  }, [map, point]);

  if (problem !== null) return <p className="map-view__problem">{problem}</p>;
  return <div ref={container} className="map-view" />;
}
