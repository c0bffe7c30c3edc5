import { t } from '../i18n/index.js';
import { ModalDialog } from './ModalDialog.js';
import { PasswordSettings } from './PasswordSettings.js';
import { PrivacySettings } from './PrivacySettings.js';
import { SessionsSettings } from './SessionsSettings.js';

/** Your settings, a section each (each its own small component, labelled by its heading). */
export function SettingsDialog({ onClose }: { onClose: () => void }) {
  return (
    <ModalDialog title={t.settings.title} onClose={onClose} className="dialog--settings">
      <PrivacySettings />
      <SessionsSettings />
      <PasswordSettings />
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.settings.close}
        </button>
      </div>
    </ModalDialog>
  );
}
