import { useState } from 'react';
import { t } from '../i18n/index.js';
import { AccountBar } from './AccountBar.js';
import { ConnectionStatus } from './ConnectionStatus.js';
import { ConversationList } from './ConversationList.js';
import { ComposeIcon } from './icons.js';
import { NewConversationDialog } from './NewConversationDialog.js';

/** The left column: who I am, the connection, "New conversation" and the list. */
export function Sidebar() {
  const [dialogOpen, setDialogOpen] = useState(false);
  return (
    <aside className="sidebar">
      <AccountBar />
      <ConnectionStatus />
      <div className="sidebar__actions">
        <button type="button" className="button button--primary button--wide" onClick={() => setDialogOpen(true)}>
          <ComposeIcon size={16} />
          <span>{t.conversations.newConversation}</span>
        </button>
      </div>
      <ConversationList />
      {dialogOpen && <NewConversationDialog onClose={() => setDialogOpen(false)} />}
    </aside>
  );
}
