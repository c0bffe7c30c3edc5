import { useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { Avatar } from './Avatar.js';
import { BlockedPeopleDialog } from './BlockedPeopleDialog.js';
import { LogOutIcon, SettingsIcon } from './icons.js';
import { BlockIcon } from './organise-icons.js';
import { SettingsDialog } from './SettingsDialog.js';

/** Who is signed in, their settings, the people they blocked, and the way out. */
export function AccountBar() {
  const user = useApp((s) => s.session?.user ?? null);
  const { logOut } = useActions();
  const [busy, setBusy] = useState(false);
  const [blockedOpen, setBlockedOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  if (!user) return null;

  const onLogOut = () => {
    setBusy(true);
    logOut()
      .catch((error: unknown) => console.error('log out failed', error))
      .finally(() => setBusy(false));
  };

  return (
    <div className="account">
      <Avatar user={user} size="small" />
      <div className="account__who" title={t.account.signedInAs(user.displayName)}>
        <span className="account__name">{user.displayName}</span>
        <span className="account__username">{t.user.handle(user.username)}</span>
      </div>
      <button
        type="button"
        className="icon-button"
        aria-label={t.settings.open}
        title={t.settings.open}
        aria-haspopup="dialog"
        onClick={() => setSettingsOpen(true)}
      >
        <SettingsIcon size={18} />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={t.blocking.open}
        title={t.blocking.open}
        aria-haspopup="dialog"
        onClick={() => setBlockedOpen(true)}
      >
        <BlockIcon size={18} />
      </button>
      <button
        type="button"
        className="icon-button"
        aria-label={t.account.logOut}
        title={t.account.logOut}
        onClick={onLogOut}
        disabled={busy}
      >
        <LogOutIcon size={18} />
      </button>
      {blockedOpen && <BlockedPeopleDialog onClose={() => setBlockedOpen(false)} />}
      {settingsOpen && <SettingsDialog onClose={() => setSettingsOpen(false)} />}
    </div>
  );
}
