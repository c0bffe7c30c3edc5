import { useEffect } from 'react';
import type { Language } from '../../sync/app-api/preferences.js';
import { t } from '../i18n/index.js';
import { useLanguage } from '../i18n/use-language.js';
import { useApp } from '../state/context.js';
import { LinkDeviceScreen } from './LinkDeviceScreen.js';
import { MainScreen } from './MainScreen.js';
import { RecoveryScreen } from './RecoveryScreen.js';
import { SignInScreen } from './SignInScreen.js';
import { StartupScreen } from './StartupScreen.js';

/** The window title carries the total unread count, like other messengers (muted conversations and requests left out). */
function useDocumentTitle(language: Language) {
  const unread = useApp((s) => s.conversations.reduce((sum, c) => sum + (c.muted || c.request ? 0 : c.unreadCount), 0));
  useEffect(() => {
    document.title = unread > 0 ? t.app.titleWithUnread(unread) : t.app.title;
  }, [unread, language]);
}

export function App() {
  // The root re-renders when the language changes, and with it the whole tree (nothing remounts,
  // so open dialogs and typed text stay); memo() components subscribe themselves.
  const language = useLanguage();
  const phase = useApp((s) => s.phase);
  const linkState = useApp((s) => s.linkState);
  useDocumentTitle(language);
  switch (phase) {
    case 'loading':
      return <StartupScreen unreachable={false} />;
    case 'unreachable':
      return <StartupScreen unreachable />;
    case 'recovery':
      return <RecoveryScreen />;
    case 'signedOut':
      return <SignInScreen />;
    case 'signedIn':
      // Without the account's identity this device can read nothing: it is linked first.
      return linkState.kind === 'waiting' ? <LinkDeviceScreen code={linkState.code} /> : <MainScreen />;
  }
}
