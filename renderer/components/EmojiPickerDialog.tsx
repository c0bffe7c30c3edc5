import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import type { GifResultView } from '../../sync/app-api/gifs-api.js';
import { t } from '../i18n/index.js';
import { rememberEmoji } from '../state/recent-emoji.js';
import { EmojiPanel } from './EmojiPanel.js';
import { GifPanel } from './GifPanel.js';
import { StickerPanel } from './StickerPanel.js';
import { CloseIcon } from './icons.js';

interface Props {
  /** An emoji was chosen (the dialog has already closed, so focus may be moved at once). */
  onPick: (emoji: string) => void;
  /** Closed without a choice: Escape, the close button or a click outside (already closed). */
  onClose: () => void;
  /** The composer's picker also offers GIFs, in a tab beside the emoji (already closed when called). */
  onPickGif?: (gif: GifResultView) => void;
  /** And stickers, in the tab between them: given together with onPickGif (already closed when called). */
  onPickSticker?: (packId: string, stickerId: string) => void;
}

type Tab = 'emoji' | 'stickers' | 'gifs';
const TABS: readonly Tab[] = ['emoji', 'stickers', 'gifs'];

/**
 * The modal dialog "Emoji": every emoji with search (EmojiPanel); from the composer also the tabs
 * "Emoji", "Stickers" (StickerPanel) and "GIFs" (GifPanel). Focus starts in "Search emoji"; choosing a tab with the mouse
 * moves it to that tab's search, the arrow keys move between tabs; Escape closes.
 *
 * The dialog closes itself before telling the caller, so the caller can put focus back where it
 * belongs (the React button, the composer's caret) while nothing is inert any more.
 */
export function EmojiPickerDialog({ onPick, onClose, onPickGif, onPickSticker }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const emojiSearchRef = useRef<HTMLInputElement>(null);
  const gifSearchRef = useRef<HTMLInputElement>(null);
  const stickerCreateRef = useRef<HTMLButtonElement>(null);
  const tabRefs = useRef<Partial<Record<Tab, HTMLButtonElement | null>>>({});
  const [tab, setTab] = useState<Tab>('emoji');
  /** The tab whose search should take focus (n: each request once), or null. */
  const [focusSearch, setFocusSearch] = useState<{ tab: Tab; n: number } | null>({ tab: 'emoji', n: 0 });
  const id = useId();

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
    };
  }, []);

  // The search of a tab just shown by a click (or the dialog just opened) takes focus once.
  useLayoutEffect(() => {
    if (focusSearch === null) return;
    ({ emoji: emojiSearchRef, stickers: stickerCreateRef, gifs: gifSearchRef })[focusSearch.tab].current?.focus();
  }, [focusSearch]);

  const close = () => {
    if (ref.current?.open) ref.current.close();
  };
  const pickEmoji = (emoji: string) => {
    close();
    rememberEmoji(emoji);
    onPick(emoji);
  };
  const pickGif = (gif: GifResultView) => {
    close();
    onPickGif?.(gif);
  };
  const pickSticker = (packId: string, stickerId: string) => {
    close();
    onPickSticker?.(packId, stickerId);
  };
  const dismiss = () => {
    close();
    onClose();
  };

  const show = (next: Tab, focus: 'search' | 'tab') => {
    setTab(next);
    setFocusSearch((before) => (focus === 'search' ? { tab: next, n: (before?.n ?? 0) + 1 } : null));
    if (focus === 'tab') tabRefs.current[next]?.focus();
  };
  const onTabKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const at = TABS.indexOf(tab);
    const next =
      event.key === 'ArrowRight'
        ? TABS[(at + 1) % TABS.length]
        : event.key === 'ArrowLeft'
          ? TABS[(at - 1 + TABS.length) % TABS.length]
          : event.key === 'Home'
            ? TABS[0]
            : event.key === 'End'
              ? TABS[TABS.length - 1]
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    show(next, 'tab');
  };

  const closeButton = (
    <button
      type="button"
      className="icon-button emoji-picker__close"
      aria-label={t.emoji.close}
      title={t.emoji.close}
      onClick={dismiss}
    >
      <CloseIcon size={16} />
    </button>
  );
  const tabLabel: Record<Tab, string> = { emoji: t.picker.emojiTab, stickers: t.picker.stickersTab, gifs: t.picker.gifsTab };

  return createPortal(
    <dialog
      ref={ref}
      className="dialog emoji-dialog"
      aria-label={t.emoji.dialogLabel}
      onCancel={(event) => {
        event.preventDefault();
        dismiss();
      }}
      onClick={(event) => {
        if (event.target === ref.current) dismiss();
      }}
    >
      {onPickGif ? (
        <>
          <div className="picker-tabs">
            <div role="tablist" aria-label={t.picker.tabs} className="picker-tabs__list" onKeyDown={onTabKey}>
              {TABS.map((each) => (
                <button
                  key={each}
                  ref={(button) => {
                    tabRefs.current[each] = button;
                  }}
                  type="button"
                  role="tab"
                  id={`${id}-${each}-tab`}
                  aria-selected={tab === each}
                  aria-controls={`${id}-${each}-panel`}
                  tabIndex={tab === each ? 0 : -1}
                  className="picker-tabs__tab"
                  onClick={() => show(each, 'search')}
                >
                  {tabLabel[each]}
                </button>
              ))}
            </div>
            {closeButton}
          </div>
          <div role="tabpanel" id={`${id}-${tab}-panel`} aria-labelledby={`${id}-${tab}-tab`} className="picker-tabs__panel">
            {tab === 'emoji' ? (
              <EmojiPanel onPick={pickEmoji} searchRef={emojiSearchRef} closeButton={null} />
            ) : tab === 'stickers' ? (
              <StickerPanel onPick={pickSticker} createRef={stickerCreateRef} />
            ) : (
              <GifPanel onPick={pickGif} searchRef={gifSearchRef} />
            )}
          </div>
        </>
      ) : (
        <EmojiPanel onPick={pickEmoji} searchRef={emojiSearchRef} closeButton={closeButton} />
      )}
    </dialog>,
    document.body,
  );
}
