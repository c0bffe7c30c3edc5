import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { MoreIcon } from './organise-icons.js';
import { menuItemForKey } from './keys.js';
import { SafetyNumberDialog } from './SafetyNumberDialog.js';

type Choice = 'archive' | 'mute' | 'block' | 'verify';

/** The menu's items for this conversation: each names what choosing it does now. */
function menuItems(conversation: ConversationSummary): { key: Choice; label: string }[] {
  const items: { key: Choice; label: string }[] = [
    { key: 'archive', label: conversation.archived ? t.conversationMenu.unarchive : t.conversationMenu.archive },
    { key: 'mute', label: conversation.muted ? t.conversationMenu.unmute : t.conversationMenu.mute },
  ];
  if (conversation.kind === 'direct' && conversation.peer) {
    items.push({ key: 'block', label: conversation.blocked ? t.conversationMenu.unblock : t.conversationMenu.block });
    items.push({ key: 'verify', label: t.conversationMenu.verifySafetyNumber });
  }
  return items;
}

/**
 * The header's "Conversation menu": Archive / Unarchive, Mute / Unmute and, with one person,
 * Block / Unblock and "Verify safety number" (which opens the Safety number dialog). A menu button: arrow keys, Home and End move, Escape (or Tab) closes and focus
 * returns to the button; a click elsewhere closes it.
 */
export function ConversationMenu({ conversation }: { conversation: ConversationSummary }) {
  const { setArchived, setMuted, setBlocked, showNotice } = useActions();
  const [open, setOpen] = useState(false);
  const [verifying, setVerifying] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const menuId = useId();
  const items = menuItems(conversation);

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

  const choose = (choice: Choice) => {
    close();
    if (choice === 'verify') {
      setVerifying(true);
      return;
    }
    const { id, archived, muted, blocked, peer } = conversation;
    const change =
      choice === 'archive'
        ? setArchived(id, !archived)
        : choice === 'mute'
          ? setMuted(id, !muted)
          : peer
            ? setBlocked(peer.id, !blocked)
            : Promise.resolve();
    change.catch((error: unknown) => showNotice(t.conversationMenu.failed(describeError(error))));
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
    <div className="conversation-menu">
      <button
        ref={buttonRef}
        type="button"
        className="icon-button"
        aria-label={t.conversationMenu.button}
        title={t.conversationMenu.button}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((current) => !current)}
        onKeyDown={onButtonKeyDown}
      >
        <MoreIcon size={20} />
      </button>
      {open && (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-label={t.conversationMenu.label}
          className="menu conversation-menu__panel"
          onKeyDown={onKeyDown}
        >
          {items.map((item) => (
            <button
              key={item.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={`menu__item${item.key === 'block' && !conversation.blocked ? ' menu__item--danger' : ''}`}
              onClick={() => choose(item.key)}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
      {verifying && conversation.peer && <SafetyNumberDialog person={conversation.peer} onClose={() => setVerifying(false)} />}
    </div>
  );
}
