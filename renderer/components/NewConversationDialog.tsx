import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { FormActions } from './FormActions.js';

/**
 * A modal <dialog> (Escape and Cancel close it). On success the new conversation opens and the
 * dialog closes; errors such as "no such user" or "offline" stay inside it as an alert.
 */
export function NewConversationDialog({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const inputId = useId();
  const { startConversation } = useActions();
  const [username, setUsername] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    inputRef.current?.focus();
    return () => {
      if (dialog.open) dialog.close();
    };
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const wanted = username.trim().toLowerCase();
    if (!wanted) {
      setError(t.newConversation.required);
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await startConversation(wanted);
      onClose();
    } catch (failure) {
      setBusy(false);
      setError(describeError(failure, { not_found: t.errors.noSuchUser(wanted), offline: t.errors.startOffline }));
      inputRef.current?.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={descriptionId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside the panel) closes it.
        if (event.target === ref.current) onClose();
      }}
    >
      <form className="dialog__panel" onSubmit={(event) => void submit(event)} noValidate>
        <h2 id={titleId} className="dialog__title">
          {t.newConversation.title}
        </h2>
        <p id={descriptionId} className="dialog__description">
          {t.newConversation.description}
        </p>
        <div className="field">
          <label className="field__label" htmlFor={inputId}>
            {t.newConversation.username}
          </label>
          <input
            ref={inputRef}
            id={inputId}
            className="field__input"
            type="text"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            autoComplete="off"
            autoCapitalize="none"
            autoCorrect="off"
            spellCheck={false}
            aria-invalid={error ? true : undefined}
          />
        </div>
        <FormActions
          error={error}
          cancelLabel={t.newConversation.cancel}
          onCancel={onClose}
          submitLabel={busy ? t.newConversation.starting : t.newConversation.start}
          submitDisabled={busy}
        />
      </form>
    </dialog>
  );
}
