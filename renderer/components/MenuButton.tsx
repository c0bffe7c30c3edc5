import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { menuItemForKey } from './keys.js';

const MENU_ITEM = '[role="menuitem"]';

/**
 * Moves focus among `menu`'s items for an arrow, Home or End key and says whether it did; any other
 * key is the caller's, since a menu button and the message's context menu close differently.
 */
export function moveMenuFocus(menu: HTMLElement | null, key: string): boolean {
  const items = [...(menu?.querySelectorAll<HTMLButtonElement>(MENU_ITEM) ?? [])];
  const next = menuItemForKey(key, items.indexOf(document.activeElement as HTMLButtonElement), items.length);
  if (next === null) return false;
  items[next]?.focus();
  return true;
}

export interface MenuButtonItem {
  key: string;
  label: string;
  /** Drawn as a destructive choice (Block). */
  danger?: boolean;
  choose: () => void;
}

interface Props {
  /** The wrapper's class; `children` (a dialog an item opens) are rendered in it after the menu. */
  className: string;
  buttonClassName: string;
  /** The button's accessible name and tooltip. */
  label: string;
  icon: ReactNode;
  menuLabel: string;
  panelClassName: string;
  /** In menu order. */
  items: readonly MenuButtonItem[];
  children?: ReactNode;
}

/**
 * A button that opens a menu (the conversation menu, the Attach menu). A click toggles it, ArrowDown
 * or ArrowUp on the button opens it, and opening focuses the first item; in the menu the arrow keys,
 * Home and End move, Escape closes it and focus returns to the button, Tab or a pointer down outside
 * closes it. Choosing an item closes the menu, focus back on the button, before the item acts.
 */
export function MenuButton({ className, buttonClassName, label, icon, menuLabel, panelClassName, items, children }: Props) {
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    menuRef.current?.querySelector<HTMLButtonElement>(MENU_ITEM)?.focus();
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node | null;
      if (!menuRef.current?.contains(target) && !buttonRef.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown, true);
    return () => document.removeEventListener('pointerdown', onPointerDown, true);
  }, [open]);

  const close = () => {
    setOpen(false);
    buttonRef.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!moveMenuFocus(menuRef.current, event.key))
      switch (event.key) {
        case 'Escape':
          close();
          break;
        case 'Tab':
          setOpen(false);
          return;
        default:
          return;
      }
    event.preventDefault();
    event.stopPropagation();
  };

  const onButtonKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    setOpen(true);
  };

  return (
    <div className={className}>
      <button
        ref={buttonRef}
        type="button"
        className={buttonClassName}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((current) => !current)}
        onKeyDown={onButtonKeyDown}
      >
        {icon}
      </button>
      {open && (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-label={menuLabel}
          className={`menu ${panelClassName}`}
          onKeyDown={onKeyDown}
        >
          {items.map((item) => (
            <button
              key={item.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={`menu__item${item.danger ? ' menu__item--danger' : ''}`}
              onClick={() => {
                close();
                item.choose();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
      {children}
    </div>
  );
}
