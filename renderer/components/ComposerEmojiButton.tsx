import { useRef, useState, type RefObject } from 'react';
import { t } from '../i18n/index.js';
import { insertAt } from '../state/text-insert.js';
import { EmojiPickerDialog } from './EmojiPickerDialog.js';
import { SmileIcon } from './icons.js';

interface Props {
  textareaRef: RefObject<HTMLTextAreaElement | null>;
  /** The new text and caret: the composer takes the text and puts focus and caret back. */
  onInsert: (text: string, caret: number) => void;
  disabled?: boolean;
}

/**
 * The composer's "Emoji picker" button: opens the full picker (dialog "Emoji") and puts the chosen
 * emoji at the caret (replacing a selection), where the caret was when the picker opened.
 * Escape or closing puts focus back on this button.
 */
export function ComposerEmojiButton({ textareaRef, onInsert, disabled = false }: Props) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  /** The selection when the picker opened (the box loses focus meanwhile). */
  const selection = useRef<{ start: number; end: number } | null>(null);

  const openPicker = () => {
    const textarea = textareaRef.current;
    selection.current = textarea ? { start: textarea.selectionStart, end: textarea.selectionEnd } : null;
    setOpen(true);
  };

  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        className="icon-button composer__tool"
        aria-label={t.emoji.composerButton}
        title={t.emoji.composerButton}
        aria-haspopup="dialog"
        aria-expanded={open}
        disabled={disabled}
        onClick={openPicker}
      >
        <SmileIcon size={20} />
      </button>
      {open && (
        <EmojiPickerDialog
          onPick={(emoji) => {
            setOpen(false);
            const text = textareaRef.current?.value ?? '';
            const at = selection.current ?? { start: text.length, end: text.length };
            const result = insertAt(text, at.start, at.end, emoji);
            onInsert(result.text, result.caret);
          }}
          onClose={() => {
            setOpen(false);
            buttonRef.current?.focus({ preventScroll: true });
          }}
        />
      )}
    </>
  );
}
