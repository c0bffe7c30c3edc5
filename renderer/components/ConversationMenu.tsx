import { useState } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { DisappearingDialog } from './DisappearingDialog.js';
import { MenuButton } from './MenuButton.js';
import { MoreIcon } from './organise-icons.js';
import { SafetyNumberDialog } from './SafetyNumberDialog.js';

type Choice = 'archive' | 'mute' | 'disappearing' | 'block' | 'verify';

/** The menu's items for this conversation: each names what choosing it does now. */
function menuItems(conversation: ConversationSummary): { key: Choice; label: string; danger?: boolean }[] {
  const items: { key: Choice; label: string; danger?: boolean }[] = [
    { key: 'archive', label: conversation.archived ? t.conversationMenu.unarchive : t.conversationMenu.archive },
    { key: 'mute', label: conversation.muted ? t.conversationMenu.unmute : t.conversationMenu.mute },
    { key: 'disappearing', label: t.conversationMenu.disappearing },
  ];
  if (conversation.kind === 'direct' && conversation.peer) {
    items.push({
      key: 'block',
      label: conversation.blocked ? t.conversationMenu.unblock : t.conversationMenu.block,
      danger: !conversation.blocked,
    });
    items.push({ key: 'verify', label: t.conversationMenu.verifySafetyNumber });
  }
  return items;
}

/**
 * The header's "Conversation menu": Archive / Unarchive, Mute / Unmute, "Disappearing messages"
 * (which opens its dialog) and, with one person, Block / Unblock and "Verify safety number" (which
 * opens the Safety number dialog). A menu button (MenuButton has its keys).
 */
export function ConversationMenu({ conversation }: { conversation: ConversationSummary }) {
  const { setArchived, setMuted, setBlocked, showNotice } = useActions();
  const [dialog, setDialog] = useState<'verify' | 'disappearing' | null>(null);

  const choose = (choice: Choice) => {
    if (choice === 'verify' || choice === 'disappearing') {
      setDialog(choice);
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

  return (
    <MenuButton
      className="conversation-menu"
      buttonClassName="icon-button"
      label={t.conversationMenu.button}
      icon={<MoreIcon size={20} />}
      menuLabel={t.conversationMenu.label}
      panelClassName="conversation-menu__panel"
      items={menuItems(conversation).map((item) => ({ ...item, choose: () => choose(item.key) }))}
    >
      {dialog === 'verify' && conversation.peer && (
        <SafetyNumberDialog person={conversation.peer} onClose={() => setDialog(null)} />
      )}
      {dialog === 'disappearing' && (
        <DisappearingDialog
          conversationId={conversation.id}
          isGroup={conversation.kind === 'group'}
          onClose={() => setDialog(null)}
        />
      )}
    </MenuButton>
  );
}
