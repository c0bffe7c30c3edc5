import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import { t } from '../i18n/index.js';
import { rememberEmoji } from '../state/recent-emoji.js';
import { EmojiPickerDialog } from './EmojiPickerDialog.js';
import { PlusIcon } from './emoji-icons.js';

/** The most common reactions first, as in other messengers. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏', '🔥', '🎉', '👏', '👎'] as const;

const MARGIN_PX = 8;
const GAP_PX = 6;

interface Props {
  /** What it opens next to (the React button, or a point for the context menu). */
  anchor: () => DOMRect | null;
  /** The element that opened it: pressing it again closes (handled by its own click). */
  opener: () => HTMLElement | null;
  /** Emojis you have already reacted with on this message (shown pressed). */
  mine: ReadonlySet<string>;
  onPick: (emoji: string) => void;
  /** `restoreFocus`: put focus back on the opener (Escape, a pick) rather than leave it (click outside). */
  onClose: (restoreFocus: boolean) => void;
}

/**
 * A small non-modal dialog of emoji buttons, floating above (or, without room, below) its anchor.
 * Focus starts on the first emoji; arrows move, Tab cycles inside, Escape closes, a click outside
 * closes. Rendered at the end of <body> so it is not part of the message log. Its last button,
 * "More emoji", swaps it for the full picker (the modal dialog "Emoji"); what is picked there is
 * handed to `onPick` the same way.
 */
export function ReactionPicker({ anchor, opener, mine, onPick, onClose }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [more, setMore] = useState(false);
  const close = useRef(onClose);
  useLayoutEffect(() => {
    close.current = onClose;
  });

  useLayoutEffect(() => {
    const place = () => {
      const panel = ref.current;
      const rect = anchor();
      if (!panel || !rect) return;
      const { width, height } = panel.getBoundingClientRect();
      let top = rect.top - height - GAP_PX;
      if (top < MARGIN_PX) top = rect.bottom + GAP_PX;
      top = Math.min(top, window.innerHeight - height - MARGIN_PX);
      const centre = rect.left + rect.width / 2;
      const left = Math.max(MARGIN_PX, Math.min(centre - width / 2, window.innerWidth - width - MARGIN_PX));
      panel.style.top = `${top}px`;
      panel.style.left = `${left}px`;
    };
    place();
    window.addEventListener('resize', place);
    window.addEventListener('scroll', place, true);
    return () => {
      window.removeEventListener('resize', place);
      window.removeEventListener('scroll', place, true);
    };
  }, [anchor]);

  useLayoutEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>('button')?.focus({ preventScroll: true });
  }, []);

  useEffect(() => {
    // The full picker is modal: it handles outside clicks itself.
    if (more) return;
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node | null;
      if (!target || ref.current?.contains(target) || opener()?.contains(target)) return;
      close.current(false);
    };
    document.addEventListener('pointerdown', onPointerDown, true);
    return () => document.removeEventListener('pointerdown', onPointerDown, true);
  }, [opener, more]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
    const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const focusAt = (i: number) => buttons[(i + buttons.length) % buttons.length]?.focus();
    switch (event.key) {
      case 'Escape':
        event.preventDefault();
        event.stopPropagation();
        onClose(true);
        return;
      case 'ArrowRight':
      case 'ArrowDown':
        focusAt(index + 1);
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        focusAt(index - 1);
        break;
      case 'Home':
        focusAt(0);
        break;
      case 'End':
        focusAt(buttons.length - 1);
        break;
      case 'Tab':
        focusAt(event.shiftKey ? index - 1 : index + 1);
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  if (more) return <EmojiPickerDialog onPick={onPick} onClose={() => onClose(true)} />;

  return createPortal(
    <div ref={ref} role="dialog" aria-label={t.reactions.pickerLabel} className="reaction-picker" onKeyDown={onKeyDown}>
      {QUICK_REACTIONS.map((emoji) => {
        const pressed = mine.has(emoji);
        return (
          <button
            key={emoji}
            type="button"
            className="reaction-picker__emoji"
            aria-label={emoji}
            aria-pressed={pressed}
            title={pressed ? t.reactions.chipHintRemove(emoji) : t.reactions.chipHintAdd(emoji)}
            onClick={() => {
              rememberEmoji(emoji);
              onPick(emoji);
            }}
          >
            {emoji}
          </button>
        );
      })}
      <button
        type="button"
        className="reaction-picker__emoji reaction-picker__more"
        aria-label={t.reactions.more}
        title={t.reactions.more}
        aria-haspopup="dialog"
        onClick={() => setMore(true)}
      >
        <PlusIcon size={18} />
      </button>
    </div>,
    document.body,
  );
}
