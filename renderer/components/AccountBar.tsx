import { useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { Avatar } from './Avatar.js';
import { LogOutIcon } from './icons.js';

/** Who is signed in, and the way out. */
export function AccountBar() {
  const user = useApp((s) => s.session?.user ?? null);
  const { logOut } = useActions();
  const [busy, setBusy] = useState(false);
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
        aria-label={t.account.logOut}
        title={t.account.logOut}
        onClick={onLogOut}
        disabled={busy}
      >
        <LogOutIcon size={18} />
      </button>
    </div>
  );
}
