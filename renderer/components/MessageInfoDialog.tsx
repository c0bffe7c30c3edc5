import { useEffect, useState } from 'react';
import type { MessageInfo, MessageStatus } from '../../sync/app-api/contract.js';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { Avatar } from './Avatar.js';
import { ModalDialog } from './ModalDialog.js';

interface Props {
  messageId: string;
  /** The message's status: the info is read again when it changes (someone read it meanwhile). */
  status: MessageStatus | null;
  onClose: () => void;
  returnFocusTo: () => HTMLElement | null;
}

type Load = { state: 'loading' } | { state: 'loaded'; info: MessageInfo } | { state: 'failed'; error: string };

function People({ label, people }: { label: string; people: User[] }) {
  return (
    <section className="message-info__section">
      <h3 className="message-info__heading">{label}</h3>
      <ul className="people" aria-label={label}>
        {people.map((user) => (
          <li key={user.id} className="people__item">
            <Avatar user={user} size="small" />
            <span className="people__name">{user.displayName}</span>
          </li>
        ))}
      </ul>
      {people.length === 0 && <p className="people__empty">{t.messageInfo.nobody}</p>}
    </section>
  );
}

/** Who has read one of your messages, and who has it but has not read it yet. */
export function MessageInfoDialog({ messageId, status, onClose, returnFocusTo }: Props) {
  const { loadMessageInfo } = useActions();
  const [load, setLoad] = useState<Load>({ state: 'loading' });

  useEffect(() => {
    let cancelled = false;
    loadMessageInfo(messageId).then(
      (info) => !cancelled && setLoad({ state: 'loaded', info }),
      (error: unknown) => !cancelled && setLoad({ state: 'failed', error: describeError(error) }),
    );
    return () => {
      cancelled = true;
    };
  }, [loadMessageInfo, messageId, status]);

  return (
    <ModalDialog title={t.messageInfo.title} onClose={onClose} returnFocusTo={returnFocusTo} className="dialog--info">
      {load.state === 'loading' && <p className="history__note">{t.messageInfo.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.messageInfo.error(load.error)}
        </p>
      )}
      {load.state === 'loaded' && (
        <>
          <People label={t.messageInfo.readBy} people={load.info.readBy} />
          <People label={t.messageInfo.deliveredTo} people={load.info.deliveredTo} />
        </>
      )}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} autoFocus>
          {t.messageInfo.close}
        </button>
      </div>
    </ModalDialog>
  );
}
