import { useRef, useState, type RefObject } from 'react';
import type { GifResultView } from '../../sync/app-api/gifs-api.js';
import { t } from '../i18n/index.js';
import { insertAt } from '../state/text-insert.js';
import { EmojiPickerDialog } from './EmojiPickerDialog.js';
import { SmileIcon } from './icons.js';

interface Props {
  textareaRef: RefObject<HTMLTextAreaElement | null>;
  /** The new text and caret: the composer takes the text and puts focus and caret back. */
  onInsert: (text: string, caret: number) => void;
  /** A GIF chosen in the picker's "GIFs" tab: the composer sends it. Without it, the picker has no tabs. */
  onPickGif?: (gif: GifResultView) => void;
  /** A sticker chosen in the "Stickers" tab: the composer sends it. Given with onPickGif. */
  onPickSticker?: (packId: string, stickerId: string) => void;
  disabled?: boolean;
}

/**
 * The composer's "Emoji picker" button: opens the full picker (dialog "Emoji", with a "GIFs" tab
 * whose choice the composer sends at once) and puts the chosen
 * emoji at the caret (replacing a selection), where the caret was when the picker opened.
 * Escape or closing puts focus back on this button.
 */
export function ComposerEmojiButton({ textareaRef, onInsert, onPickGif, onPickSticker, disabled = false }: Props) {
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
          {...(onPickGif && {
            onPickGif: (gif: GifResultView) => {
              setOpen(false);
              textareaRef.current?.focus({ preventScroll: true });
              onPickGif(gif);
            },
          })}
          {...(onPickSticker && {
            onPickSticker: (packId: string, stickerId: string) => {
              setOpen(false);
              textareaRef.current?.focus({ preventScroll: true });
              onPickSticker(packId, stickerId);
            },
          })}
        />
      )}
    </>
  );
}
