import { useEffect, useLayoutEffect, useRef, type KeyboardEvent } from 'react';
import { createPortal } from 'react-dom';
import { t } from '../i18n/index.js';
import { moveMenuFocus } from './MenuButton.js';
import type { MessageActionSet } from './MessageActions.js';

const MARGIN_PX = 8;

export type MenuChoice = keyof MessageActionSet;

/** In menu order; each item's words are t.actions[key], read when rendering (the language can change). */
const ITEMS: readonly MenuChoice[] = ['reply', 'react', 'forward', 'pin', 'edit', 'info', 'delete'];

interface Props {
  /** Where it was asked for (the pointer, or the message for the keyboard's menu key). */
  at: { x: number; y: number };
  actions: MessageActionSet;
  /** The message is pinned now: its pin item reads "Unpin". */
  pinned?: boolean;
  onChoose: (choice: MenuChoice) => void;
  /** `restoreFocus`: Escape / Tab put focus back on the message; a click elsewhere leaves it. */
  onClose: (restoreFocus: boolean) => void;
}

/** The right-click menu of a message: the same items as its hover buttons. */
export function MessageMenu({ at, actions, pinned = false, onChoose, onClose }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  useLayoutEffect(() => {
    close.current = onClose;
  });
  const items = ITEMS.filter((key) => actions[key]);

  useLayoutEffect(() => {
    const panel = ref.current;
    if (!panel) return;
    const { width, height } = panel.getBoundingClientRect();
    const left = Math.max(MARGIN_PX, Math.min(at.x, window.innerWidth - width - MARGIN_PX));
    const top = Math.max(MARGIN_PX, at.y + height > window.innerHeight - MARGIN_PX ? at.y - height : at.y);
    panel.style.top = `${top}px`;
    panel.style.left = `${left}px`;
    panel.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus({ preventScroll: true });
  }, [at.x, at.y]);

  useEffect(() => {
    const onPointerDown = (event: PointerEvent) => {
      if (!ref.current?.contains(event.target as Node | null)) close.current(false);
    };
    const onScrollOrResize = () => close.current(false);
    document.addEventListener('pointerdown', onPointerDown, true);
    window.addEventListener('resize', onScrollOrResize);
    window.addEventListener('scroll', onScrollOrResize, true);
    return () => {
      document.removeEventListener('pointerdown', onPointerDown, true);
      window.removeEventListener('resize', onScrollOrResize);
      window.removeEventListener('scroll', onScrollOrResize, true);
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!moveMenuFocus(ref.current, event.key))
      switch (event.key) {
        case 'Escape':
        case 'Tab':
          onClose(true);
          break;
        default:
          return;
      }
    event.preventDefault();
    event.stopPropagation();
  };

  if (items.length === 0) return null;
  return createPortal(
    <div
      ref={ref}
      role="menu"
      aria-label={t.actions.menuLabel}
      className="menu"
      onKeyDown={onKeyDown}
      onContextMenu={(event) => event.preventDefault()}
    >
      {items.map((key) => (
        <button
          key={key}
          type="button"
          role="menuitem"
          tabIndex={-1}
          className={`menu__item${key === 'delete' ? ' menu__item--danger' : ''}`}
          onClick={() => onChoose(key)}
        >
          {key === 'pin' && pinned ? t.actions.unpin : t.actions[key]}
        </button>
      ))}
    </div>,
    document.body,
  );
}
