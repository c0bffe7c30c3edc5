import { useId, useRef, useState, type FormEvent } from 'react';
import { POLL_LIMITS } from '../../sync/common/polls.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { mayAddOption, pollToSend, repeatedOptions, type PollToSend } from '../state/poll-draft.js';
import { FormActions } from './FormActions.js';
import { CloseIcon, PlusIcon } from './icons.js';
import { useIdentityChangeGuard } from './IdentityChangeGuard.js';
import { ModalDialog } from './ModalDialog.js';

/** An option as typed; `key` keeps its field when an earlier one is removed. */
interface DraftOption {
  key: number;
  text: string;
}

/**
 * "New poll": a question, two to twelve options and whether several may be chosen. Send is offered
 * once the question and two different options are given (blank options are left out); the poll
 * then goes like a message, offline too, and the dialog closes.
 */
export function NewPollDialog({ conversationId, onClose }: { conversationId: string; onClose: () => void }) {
  const { sendPoll } = useActions();
  const questionId = useId();
  const repeatedId = useId();
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState<DraftOption[]>([
    { key: 0, text: '' },
    { key: 1, text: '' },
  ]);
  const nextKey = useRef(options.length);
  /** The option just added, which takes the focus when it appears. */
  const [addedKey, setAddedKey] = useState<number | null>(null);
  const inputs = useRef(new Map<number, HTMLInputElement>());
  const [multiple, setMultiple] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const guard = useIdentityChangeGuard(conversationId, (reason) => setError(t.newPoll.failed(reason)));

  const texts = options.map((option) => option.text);
  const ready = pollToSend({ question, options: texts, multiple });
  const repeated = repeatedOptions(texts);

  const edit = (key: number, text: string) => {
    setOptions((current) => current.map((option) => (option.key === key ? { ...option, text } : option)));
    setError(null);
  };

  const add = () => {
    const key = nextKey.current++;
    setOptions((current) => [...current, { key, text: '' }]);
    setAddedKey(key);
  };

  const remove = (index: number) => {
    // The field before it stays: focus goes there rather than to nowhere in the dialog.
    inputs.current.get(options[index - 1]!.key)?.focus();
    setOptions((current) => current.filter((_, at) => at !== index));
  };

  const sendNow = async (poll: PollToSend) => {
    setBusy(true);
    setError(null);
    try {
      await sendPoll(conversationId, poll.question, poll.options, poll.multiple);
      onClose();
    } catch (failure) {
      setBusy(false);
      setError(t.newPoll.failed(describeError(failure)));
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // The dialog is drawn at the end of <body>, but React hands its events to the composer's
    // form around it as well, which would send the message being typed.
    event.stopPropagation();
    if (!ready || busy) return;
    guard.beforeSend(() => void sendNow(ready));
  };

  // The identity question stands beside this dialog, not in it: React would hand its Escape to this one too.
  return (
    <>
      <ModalDialog title={t.newPoll.title} onClose={onClose} className="dialog--poll">
        <form className="dialog__form poll-form" onSubmit={submit} noValidate>
          <div className="field">
            <label className="field__label" htmlFor={questionId}>
              {t.newPoll.question}
            </label>
            <input
              id={questionId}
              className="field__input"
              type="text"
              value={question}
              maxLength={POLL_LIMITS.maxQuestionChars}
              onChange={(event) => {
                setQuestion(event.target.value);
                setError(null);
              }}
              autoComplete="off"
              autoFocus
            />
          </div>
          <fieldset className="poll-form__options">
            <legend className="field__label">{t.newPoll.options}</legend>
            {options.map((option, index) => (
              <div key={option.key} className="poll-form__option">
                <input
                  ref={(input) => {
                    if (input) inputs.current.set(option.key, input);
                    else inputs.current.delete(option.key);
                  }}
                  className="field__input"
                  type="text"
                  aria-label={t.newPoll.option(index + 1)}
                  placeholder={t.newPoll.option(index + 1)}
                  value={option.text}
                  maxLength={POLL_LIMITS.maxOptionChars}
                  aria-invalid={repeated.has(index) ? true : undefined}
                  aria-describedby={repeated.has(index) ? repeatedId : undefined}
                  onChange={(event) => edit(option.key, event.target.value)}
                  autoComplete="off"
                  autoFocus={option.key === addedKey}
                />
                {index >= POLL_LIMITS.minOptions && (
                  <button
                    type="button"
                    className="icon-button icon-button--small"
                    aria-label={t.newPoll.removeOption(index + 1)}
                    title={t.newPoll.removeOption(index + 1)}
                    onClick={() => remove(index)}
                  >
                    <CloseIcon size={14} />
                  </button>
                )}
              </div>
            ))}
            {repeated.size > 0 && (
              <p id={repeatedId} className="form-error">
                {t.newPoll.duplicate}
              </p>
            )}
            <button type="button" className="link-button poll-form__add" disabled={!mayAddOption(options.length)} onClick={add}>
              <PlusIcon size={14} />
              {t.newPoll.addOption}
            </button>
          </fieldset>
          <label className="field__choice">
            <input type="checkbox" checked={multiple} onChange={(event) => setMultiple(event.target.checked)} />
            <span>{t.newPoll.multiple}</span>
          </label>
          <FormActions
            error={error}
            cancelLabel={t.newPoll.cancel}
            onCancel={onClose}
            submitLabel={busy ? t.newPoll.sending : t.newPoll.send}
            submitDisabled={!ready || busy}
          />
        </form>
      </ModalDialog>
      {guard.dialog}
    </>
  );
}
