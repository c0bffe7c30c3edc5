import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';

/**
 * While the server has no room for more of the person's private settings (settings_full): what
 * they change applies on this device only. Goes away once the server takes them.
 */
export function SettingsFullBanner() {
  const settingsFull = useApp((s) => s.settingsFull);
  if (!settingsFull) return null;
  return (
    <p role="status" className="settings-full">
      {t.refusals.settings_full}
    </p>
  );
}
