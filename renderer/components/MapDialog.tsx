import { t } from '../i18n/index.js';
import type { Point } from '../state/location-draft.js';
import { MapView } from './MapView.js';
import { ModalDialog } from './ModalDialog.js';

/** "Open map": a location's point on the interactive map (Settings → "Maps"). */
export function MapDialog({ template, point, onClose }: { template: string; point: Point; onClose: () => void }) {
  return (
    <ModalDialog title={t.locations.map} onClose={onClose} className="dialog--map">
      <MapView template={template} point={point} />
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.locations.close}
        </button>
      </div>
    </ModalDialog>
  );
}
