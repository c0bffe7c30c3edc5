import {
  EmojiPicker,
  type EmojiPickerListCategoryHeaderProps,
  type EmojiPickerListEmojiProps,
  type EmojiPickerListRowProps,
} from 'frimousse';
import { useLayoutEffect, useRef, useState, type CSSProperties } from 'react';
import type { EmojiDataResolver } from 'frimousse';
import { createPortal } from 'react-dom';
import { t } from '../i18n/index.js';
import { readRecentEmoji, rememberEmoji } from '../state/recent-emoji.js';
import { loadBundledEmojiData } from '../transport/emoji-data.js';
import { CloseIcon } from './icons.js';

const COLUMNS = 9;

interface Props {
  /** An emoji was chosen (the dialog has already closed, so focus may be moved at once). */
  onPick: (emoji: string) => void;
  /** Closed without a choice: Escape, the close button or a click outside (already closed). */
  onClose: () => void;
}

/**
 * Every emoji, with search: a modal dialog "Emoji" built on frimousse (headless) over the bundled
 * Emojibase data (never fetched from a CDN), drawn with the bundled colour emoji font. Recently used
 * emoji come first. Keyboard: focus starts in "Search emoji"; arrow keys move through the emoji
 * and Enter picks (frimousse); Tab reaches the recent ones; Escape closes. Each emoji is a button
 * named by the emoji character itself.
 *
 * The dialog closes itself before telling the caller, so the caller can put focus back where it
 * belongs (the React button, the composer's caret) while nothing is inert any more.
 */
export function EmojiPickerDialog({ onPick, onClose }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const [search, setSearch] = useState('');
  const [recent] = useState(readRecentEmoji);
  const [failed, setFailed] = useState(false);
  // Always the bundled English data (whatever the locale); a failure is said in words.
  const [resolveEmojiData] = useState<EmojiDataResolver>(
    () => () =>
      loadBundledEmojiData().catch((error: unknown) => {
        setFailed(true);
        throw error;
      }),
  );

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    searchRef.current?.focus();
    return () => {
      if (dialog.open) dialog.close();
    };
  }, []);

  const finish = (emoji: string | null) => {
    if (ref.current?.open) ref.current.close();
    if (emoji === null) {
      onClose();
      return;
    }
    rememberEmoji(emoji);
    onPick(emoji);
  };

  return createPortal(
    <dialog
      ref={ref}
      className="dialog emoji-dialog"
      aria-label={t.emoji.dialogLabel}
      onCancel={(event) => {
        event.preventDefault();
        finish(null);
      }}
      onClick={(event) => {
        if (event.target === ref.current) finish(null);
      }}
    >
      <EmojiPicker.Root
        className="emoji-picker"
        locale="en"
        columns={COLUMNS}
        resolveEmojiData={resolveEmojiData}
        onEmojiSelect={({ emoji }) => finish(emoji)}
        style={{ '--frimousse-emoji-font': 'var(--font-emoji)' } as CSSProperties}
      >
        <div className="emoji-picker__top">
          <EmojiPicker.Search
            ref={searchRef}
            type="text"
            className="emoji-picker__search"
            aria-label={t.emoji.search}
            placeholder={t.emoji.searchPlaceholder}
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
          <button
            type="button"
            className="icon-button emoji-picker__close"
            aria-label={t.emoji.close}
            title={t.emoji.close}
            onClick={() => finish(null)}
          >
            <CloseIcon size={16} />
          </button>
        </div>
        {search.trim() === '' && recent.length > 0 && (
          <section className="emoji-picker__recent" aria-label={t.emoji.recent}>
            <h3 className="emoji-picker__category">{t.emoji.recent}</h3>
            <div className="emoji-picker__row">
              {recent.map((emoji) => (
                <button
                  key={emoji}
                  type="button"
                  className="emoji-picker__emoji"
                  aria-label={emoji}
                  onClick={() => finish(emoji)}
                >
                  {emoji}
                </button>
              ))}
            </div>
          </section>
        )}
        <EmojiPicker.Viewport className="emoji-picker__viewport">
          <EmojiPicker.Loading className="emoji-picker__note" role={failed ? 'alert' : undefined}>
            {failed ? t.emoji.loadFailed : t.emoji.loading}
          </EmojiPicker.Loading>
          <EmojiPicker.Empty className="emoji-picker__note">{({ search: query }) => t.emoji.empty(query)}</EmojiPicker.Empty>
          <EmojiPicker.List
            className="emoji-picker__list"
            // Plain buttons under text headings: frimousse's grid roles would need gridcells, and
            // the emoji must be buttons named by the character.
            role={undefined}
            aria-colcount={undefined}
            aria-rowcount={undefined}
            components={{ CategoryHeader, Row, Emoji }}
          />
        </EmojiPicker.Viewport>
      </EmojiPicker.Root>
    </dialog>,
    document.body,
  );
}

function CategoryHeader({ category, ...props }: EmojiPickerListCategoryHeaderProps) {
  return (
    <div {...props} className="emoji-picker__category">
      {category.label}
    </div>
  );
}

function Row({ children, ...props }: EmojiPickerListRowProps) {
  return (
    <div {...props} role={undefined} aria-rowindex={undefined} className="emoji-picker__row">
      {children}
    </div>
  );
}

function Emoji({ emoji, ...props }: EmojiPickerListEmojiProps) {
  return (
    <button
      type="button"
      {...props}
      role={undefined}
      aria-colindex={undefined}
      aria-selected={undefined}
      aria-label={emoji.emoji}
      title={emoji.label}
      className="emoji-picker__emoji"
    >
      {emoji.emoji}
    </button>
  );
}
