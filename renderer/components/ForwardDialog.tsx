import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { ConversationAvatar } from './ConversationAvatar.js';
import { FormActions } from './FormActions.js';
import { ModalDialog } from './ModalDialog.js';

/** A long list is narrowed by typing rather than rendered whole. */
const SHOWN_MAX = 200;

interface Props {
  conversationId: string;
  messageId: string;
  onClose: () => void;
  returnFocusTo: () => HTMLElement | null;
}

type Load = { state: 'loading' } | { state: 'loaded'; targets: ConversationSummary[] } | { state: 'failed'; error: string };

/**
 * "Forward message": the conversations you are in, each a checkbox named by the conversation (as
 * the list names it), and Send. Works offline: the copies are queued like any message, and the
 * dialog closes as soon as they are.
 */
export function ForwardDialog({ conversationId, messageId, onClose, returnFocusTo }: Props) {
  const { loadForwardTargets, forwardMessage } = useActions();
  const filterId = useId();
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [chosen, setChosen] = useState<ReadonlySet<string>>(() => new Set());
  const [filter, setFilter] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let cancelled = false;
    loadForwardTargets().then(
      (targets) => !cancelled && setLoad({ state: 'loaded', targets }),
      (failure: unknown) => !cancelled && setLoad({ state: 'failed', error: describeError(failure) }),
    );
    return () => {
      cancelled = true;
    };
  }, [loadForwardTargets]);

  const targets = load.state === 'loaded' ? load.targets : null;
  const shown = useMemo(() => {
    if (!targets) return [];
    const words = filter.trim().toLocaleLowerCase();
    const matching = words === '' ? targets : targets.filter((c) => c.title.toLocaleLowerCase().includes(words));
    return matching.slice(0, SHOWN_MAX);
  }, [targets, filter]);

  const toggle = (id: string, on: boolean) => {
    setError(null);
    setChosen((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy || !targets) return;
    // In the list's order (a choice hidden by the filter still counts).
    const to = targets.filter((c) => chosen.has(c.id)).map((c) => c.id);
    if (to.length === 0) {
      setError(t.forward.chooseOne);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await forwardMessage(conversationId, messageId, to);
      onClose();
    } catch (failure) {
      setBusy(false);
      setError(t.forward.failed(describeError(failure)));
    }
  };

  return (
    <ModalDialog
      title={t.forward.title}
      description={t.forward.description}
      onClose={onClose}
      returnFocusTo={returnFocusTo}
      className="dialog--forward"
    >
      <form className="dialog__form" onSubmit={(event) => void submit(event)} noValidate>
        {load.state === 'loading' && <p className="history__note">{t.forward.loading}</p>}
        {load.state === 'failed' && (
          <p className="form-error" role="alert">
            {t.forward.loadFailed(load.error)}
          </p>
        )}
        {targets && targets.length > 0 && (
          <div className="field">
            <label className="field__label" htmlFor={filterId}>
              {t.forward.filter}
            </label>
            <input
              id={filterId}
              className="field__input"
              type="search"
              value={filter}
              onChange={(event) => setFilter(event.target.value)}
              autoComplete="off"
              autoFocus
            />
          </div>
        )}
        {targets && (
          <ul className="people forward-targets" aria-label={t.forward.listLabel}>
            {shown.map((conversation) => (
              <li key={conversation.id} className="people__item">
                <label className="forward-targets__choice">
                  <input
                    type="checkbox"
                    checked={chosen.has(conversation.id)}
                    onChange={(event) => toggle(conversation.id, event.target.checked)}
                  />
                  <ConversationAvatar conversation={conversation} />
                  <span className="people__name">{conversation.title}</span>
                </label>
              </li>
            ))}
          </ul>
        )}
        {targets && shown.length === 0 && (
          <p className="people__empty">{targets.length === 0 ? t.forward.none : t.forward.noMatch}</p>
        )}
        <FormActions
          error={error}
          cancelLabel={t.forward.cancel}
          onCancel={onClose}
          submitLabel={busy ? t.forward.sending : t.forward.send}
          submitDisabled={busy || !targets}
        />
      </form>
    </ModalDialog>
  );
}
