import { t } from '../i18n/index.js';
import { AboutButton } from './AboutButton.js';
import { CallSettings } from './CallSettings.js';
import { ExportLogsButton } from './ExportLogsButton.js';
import { GeneralSettings } from './GeneralSettings.js';
import { MapSettings } from './MapSettings.js';
import { LinkedDevicesSettings } from './LinkedDevicesSettings.js';
import { ModalDialog } from './ModalDialog.js';
import { OutboxButton } from './OutboxButton.js';
import { PasswordSettings } from './PasswordSettings.js';
import { PrivacySettings } from './PrivacySettings.js';
import { RecoveryKeyButton } from './RecoveryKeyButton.js';
import { SessionsSettings } from './SessionsSettings.js';

/**
 * Your settings, a section each (each its own small component, labelled by its heading): this
 * device's first, then your account's; then the tools a tester reaches for.
 */
export function SettingsDialog({ onClose }: { onClose: () => void }) {
  return (
    <ModalDialog title={t.settings.title} onClose={onClose} className="dialog--settings">
      <GeneralSettings />
      <CallSettings />
      <MapSettings />
      <PrivacySettings />
      <LinkedDevicesSettings />
      <SessionsSettings />
      <PasswordSettings />
      <div className="settings-tools">
        <RecoveryKeyButton />
        <OutboxButton />
        <ExportLogsButton />
        <AboutButton />
      </div>
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.settings.close}
        </button>
      </div>
    </ModalDialog>
  );
}
