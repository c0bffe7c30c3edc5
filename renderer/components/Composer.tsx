import { useId, useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS } from '../../sync/protocol/limits.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { SendIcon } from './icons.js';

/** Unsent text per conversation, kept while switching between conversations. */
const drafts = new Map<string, string>();

/** Show the counter once this few characters remain. */
const COUNTER_FROM = 500;
/** The textarea grows up to this height, then scrolls. */
const MAX_HEIGHT_PX = 168;

/**
 * Enter sends, Shift+Enter inserts a newline. The box clears at once and the message appears in
 * the list straight away (the core answers with it). Keyed by conversation by its parent.
 */
export function Composer({ conversationId }: { conversationId: string }) {
  const { send } = useActions();
  const [text, setTextState] = useState(() => drafts.get(conversationId) ?? '');
  const [error, setError] = useState<string | null>(null);
  const textareaRef = useRef<HTMLTextAreaElement>(null);
  const hintId = useId();

  const setText = (value: string) => {
    if (value) drafts.set(conversationId, value);
    else drafts.delete(conversationId);
    setTextState(value);
  };

  const trimmed = text.trim();
  const over = trimmed.length - LIMITS.maxMessageChars;
  const remaining = LIMITS.maxMessageChars - trimmed.length;
  const canSend = trimmed.length > 0 && over <= 0;

  useLayoutEffect(() => {
    const textarea = textareaRef.current;
    if (!textarea) return;
    textarea.style.height = 'auto';
    textarea.style.height = `${Math.min(textarea.scrollHeight, MAX_HEIGHT_PX)}px`;
  }, [text]);

  const submit = () => {
    if (!canSend) return;
    setText('');
    setError(null);
    textareaRef.current?.focus();
    send(trimmed).catch((failure: unknown) => {
      // Give the text back rather than lose it, unless something new was typed meanwhile.
      setTextState((current) => {
        if (current) return current;
        drafts.set(conversationId, trimmed);
        return trimmed;
      });
      setError(t.composer.sendFailed(describeError(failure)));
    });
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    submit();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.shiftKey || event.altKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    submit();
  };

  return (
    <form className="composer" onSubmit={onSubmit} noValidate>
      {(error || over > 0) && (
        <p className="composer__error" role="alert">
          {over > 0 ? t.composer.tooLong(over, LIMITS.maxMessageChars) : error}
        </p>
      )}
      {over <= 0 && remaining <= COUNTER_FROM && <p className="composer__counter">{t.composer.charsLeft(Math.max(remaining, 0))}</p>}
      <div className="composer__row">
        <textarea
          ref={textareaRef}
          className="composer__input"
          aria-label={t.composer.label}
          aria-describedby={hintId}
          aria-invalid={over > 0 ? true : undefined}
          placeholder={t.composer.placeholder}
          rows={1}
          value={text}
          onChange={(event) => {
            setText(event.target.value);
            if (error) setError(null);
          }}
          onKeyDown={onKeyDown}
          autoFocus
        />
        <button type="submit" className="composer__send" aria-label={t.composer.send} title={t.composer.send} disabled={!canSend}>
          <SendIcon size={20} />
        </button>
      </div>
      <span id={hintId} className="visually-hidden">
        {t.composer.hint}
      </span>
    </form>
  );
}
