import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { t } from '../i18n/index.js';
import { PlusIcon } from './icons.js';
import { menuItemForKey } from './keys.js';
import { NewPollDialog } from './NewPollDialog.js';

type AttachChoice = 'file' | 'poll';

interface Props {
  conversationId: string;
  /** Opens the file chooser, as the "Attach" button beside it does. */
  onChooseFile: () => void;
}

/**
 * The composer's "Attach menu", beside "Attach" (which still opens the file chooser at once): File,
 * Poll. A menu button like the conversation menu: arrow keys, Home and End move, Escape closes and
 * focus returns to the button, Tab or a click elsewhere closes it.
 */
export function AttachMenu({ conversationId, onChooseFile }: Props) {
  const [open, setOpen] = useState(false);
  const [composingPoll, setComposingPoll] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const menuId = useId();

  /** In menu order; each item's words are t.attachMenu[key]. Another kind of attachment is one more entry. */
  const items: { key: AttachChoice; choose: () => void }[] = [
    { key: 'file', choose: onChooseFile },
    { key: 'poll', choose: () => setComposingPoll(true) },
  ];

  useEffect(() => {
    if (!open) return;
    menuRef.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
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
    const buttons = [...(menuRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
    const next = menuItemForKey(event.key, buttons.indexOf(document.activeElement as HTMLButtonElement), buttons.length);
    if (next !== null) buttons[next]?.focus();
    else
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
    <div className="attach-menu">
      <button
        ref={buttonRef}
        type="button"
        className="icon-button composer__tool attach-menu__button"
        aria-label={t.attachMenu.button}
        title={t.attachMenu.button}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((current) => !current)}
        onKeyDown={onButtonKeyDown}
      >
        <PlusIcon size={18} />
      </button>
      {open && (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-label={t.attachMenu.label}
          className="menu attach-menu__panel"
          onKeyDown={onKeyDown}
        >
          {items.map((item) => (
            <button
              key={item.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className="menu__item"
              onClick={() => {
                close();
                item.choose();
              }}
            >
              {t.attachMenu[item.key]}
            </button>
          ))}
        </div>
      )}
      {composingPoll && <NewPollDialog conversationId={conversationId} onClose={() => setComposingPoll(false)} />}
    </div>
  );
}
