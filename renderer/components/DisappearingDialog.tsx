import { useId, useState, type FormEvent } from 'react';
import type { DisappearingView } from '../../sync/app-api/disappearing-api.js';
import { DISAPPEARING_TIMERS_MS } from '../../sync/protocol/disappearing.js';
import { timerWords } from '../format/disappearing.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { FormActions } from './FormActions.js';
import { ModalDialog } from './ModalDialog.js';

/** Off first, then the timers shortest first. */
const CHOICES: readonly (number | null)[] = [null, ...DISAPPEARING_TIMERS_MS];

interface FormProps {
  conversationId: string;
  isGroup: boolean;
  /** The setting as the core tells it now; null until it has. */
  view: DisappearingView | null;
  /** Closes the dialog (Cancel, or a save that went through). */
  onDone: () => void;
}

/**
 * The dialog's form: a radio for Off and each timer, the current one checked (disabled for someone
 * the group does not let change it), and for a group's owner and admins whether every member may
 * change it. Save sends only what the person changed; the setting shown follows changes made
 * elsewhere meanwhile to whatever they left alone.
 */
export function DisappearingForm({ conversationId, isGroup, view, onDone }: FormProps) {
  const { saveDisappearing } = useActions();
  const name = useId();
  const [timerMs, setTimerMs] = useState<number | null | undefined>(undefined);
  const [everyone, setEveryone] = useState<boolean | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const shownTimer = timerMs === undefined ? view?.timerMs : timerMs;
  const shownEveryone = everyone ?? view?.everyoneMaySet ?? false;
  const locked = view === null || !view.mayChange || busy;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await saveDisappearing(conversationId, { timerMs, everyone });
      onDone();
    } catch (failure) {
      setBusy(false);
      setError(describeError(failure));
    }
  };

  return (
    <form className="dialog__form" onSubmit={(event) => void submit(event)} noValidate>
      <div role="radiogroup" aria-label={t.disappearing.timers} className="field disappearing__timers">
        {CHOICES.map((choice) => (
          <label key={choice ?? 'off'} className="field__choice">
            <input
              type="radio"
              name={name}
              checked={shownTimer === choice}
              disabled={locked}
              onChange={() => setTimerMs(choice)}
            />
            <span>{choice === null ? t.disappearing.off : timerWords(choice)}</span>
          </label>
        ))}
      </div>
      {isGroup && view !== null && !view.mayChange && <p className="field__hint">{t.disappearing.onlyAdmins}</p>}
      {isGroup && view?.mayChangePolicy && (
        <label className="field__choice">
          <input
            type="checkbox"
            checked={shownEveryone}
            disabled={busy}
            onChange={(event) => setEveryone(event.target.checked)}
          />
          <span>{t.disappearing.everyone}</span>
        </label>
      )}
      <FormActions
        error={error}
        cancelLabel={t.disappearing.cancel}
        onCancel={onDone}
        submitLabel={t.disappearing.save}
        submitDisabled={busy}
      />
    </form>
  );
}

/** "Disappearing messages", from the conversation menu: the form above in a modal dialog. */
export function DisappearingDialog({ onClose, ...form }: Omit<FormProps, 'view' | 'onDone'> & { onClose: () => void }) {
  const view = useApp((s) => (s.info?.conversationId === form.conversationId ? s.info.view.disappearing : null));
  return (
    <ModalDialog title={t.disappearing.title} description={t.disappearing.description} onClose={onClose}>
      <DisappearingForm {...form} view={view} onDone={onClose} />
    </ModalDialog>
  );
}
