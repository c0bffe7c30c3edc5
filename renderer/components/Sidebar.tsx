import { useState } from 'react';
import { t } from '../i18n/index.js';
import { AccountBar } from './AccountBar.js';
import { ConnectionStatus } from './ConnectionStatus.js';
import { ConversationList } from './ConversationList.js';
import { ComposeIcon, GroupIcon } from './icons.js';
import { NewConversationDialog } from './NewConversationDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';

/** The left column: who I am, the connection, "New conversation", "New group" and the list. */
export function Sidebar() {
  const [dialog, setDialog] = useState<'conversation' | 'group' | null>(null);
  const close = () => setDialog(null);
  return (
    <aside className="sidebar">
      <AccountBar />
      <ConnectionStatus />
      <div className="sidebar__actions">
        <button type="button" className="button button--primary button--wide" onClick={() => setDialog('conversation')}>
          <ComposeIcon size={16} />
          <span>{t.conversations.newConversation}</span>
        </button>
        <button type="button" className="button button--secondary button--wide" onClick={() => setDialog('group')}>
          <GroupIcon size={16} />
          <span>{t.conversations.newGroup}</span>
        </button>
      </div>
      <ConversationList />
      {dialog === 'conversation' && <NewConversationDialog onClose={close} />}
      {dialog === 'group' && <NewGroupDialog onClose={close} />}
    </aside>
  );
}
