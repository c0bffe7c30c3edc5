import {
  EmojiPicker,
  type EmojiPickerListCategoryHeaderProps,
  type EmojiPickerListEmojiProps,
  type EmojiPickerListRowProps,
} from 'frimousse';
import { useState, type CSSProperties, type ReactNode, type RefObject } from 'react';
import type { EmojiDataResolver } from 'frimousse';
import { t } from '../i18n/index.js';
import { readRecentEmoji } from '../state/recent-emoji.js';
import { loadBundledEmojiData } from '../transport/emoji-data.js';

const COLUMNS = 9;

interface Props {
  onPick: (emoji: string) => void;
  searchRef: RefObject<HTMLInputElement | null>;
  /** Beside the search box when the dialog has no row of its own for it (no tabs). */
  closeButton: ReactNode;
}

/**
 * Every emoji, with search, built on frimousse (headless) over the bundled Emojibase data (never
 * fetched from a CDN), drawn with the bundled colour emoji font. Recently used emoji come first.
 * Keyboard: arrow keys move through the emoji and Enter picks (frimousse); Tab reaches the recent
 * ones. Each emoji is a button named by the emoji character itself.
 */
export function EmojiPanel({ onPick, searchRef, closeButton }: Props) {
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

  return (
    <EmojiPicker.Root
      className="emoji-picker"
      locale="en"
      columns={COLUMNS}
      resolveEmojiData={resolveEmojiData}
      onEmojiSelect={({ emoji }) => onPick(emoji)}
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
        {closeButton}
      </div>
      {search.trim() === '' && recent.length > 0 && (
        <section className="emoji-picker__recent" aria-label={t.emoji.recent}>
          <h3 className="emoji-picker__category">{t.emoji.recent}</h3>
          <div className="emoji-picker__row">
            {recent.map((emoji) => (
              <button key={emoji} type="button" className="emoji-picker__emoji" aria-label={emoji} onClick={() => onPick(emoji)}>
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
