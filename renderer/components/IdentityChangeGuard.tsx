import { useRef, useState, type ReactNode } from 'react';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { perLocale } from '../i18n/per-locale.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ModalDialog } from './ModalDialog.js';
import { SafetyNumberDialog } from './SafetyNumberDialog.js';

const names = perLocale((locale) => new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }));

type Asking = { state: 'idle' } | { state: 'asking'; people: User[]; send: () => void } | { state: 'verifying'; person: User };

/**
 * Before a send in a conversation with someone whose safety number changed after it was verified:
 * asks first. "Send anyway" sends, and stops asking until their next change; "Verify" opens the
 * Safety number dialog and sends nothing. `beforeSend` runs `send` at once when there is nothing to ask.
 */
export function useIdentityChangeGuard(
  conversationId: string,
  onError: (reason: string) => void,
): { beforeSend: (send: () => void) => void; dialog: ReactNode } {
  const { loadIdentityChanges, confirmIdentityChanges } = useActions();
  const [asking, setAsking] = useState<Asking>({ state: 'idle' });
  // One check at a time: Enter pressed twice while the first is read sends once.
  const checking = useRef(false);

  const beforeSend = (send: () => void) => {
    if (checking.current) return;
    checking.current = true;
    loadIdentityChanges(conversationId)
      .then((people) => (people.length === 0 ? send() : setAsking({ state: 'asking', people, send })))
      .catch((failure: unknown) => onError(describeError(failure)))
      .finally(() => {
        checking.current = false;
      });
  };

  const sendAnyway = (send: () => void) => {
    setAsking({ state: 'idle' });
    confirmIdentityChanges(conversationId).then(send, (failure: unknown) => onError(describeError(failure)));
  };

  const close = () => setAsking({ state: 'idle' });
  const dialog =
    asking.state === 'asking' ? (
      <ModalDialog
        title={t.identityChange.title}
        description={t.identityChange.body(names().format(asking.people.map((person) => person.displayName)))}
        onClose={close}
      >
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={close}>
            {t.identityChange.cancel}
          </button>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setAsking({ state: 'verifying', person: asking.people[0]! })}
          >
            {t.identityChange.verify}
          </button>
          <button type="button" className="button button--primary" onClick={() => sendAnyway(asking.send)}>
            {t.identityChange.sendAnyway}
          </button>
        </div>
      </ModalDialog>
    ) : asking.state === 'verifying' ? (
      <SafetyNumberDialog person={asking.person} onClose={close} />
    ) : null;
  return { beforeSend, dialog };
}
