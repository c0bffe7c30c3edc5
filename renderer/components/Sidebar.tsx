import { useCallback, useId, useRef, useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { isSearching } from '../state/search.js';
import { AccountBar } from './AccountBar.js';
import { ConnectionStatus } from './ConnectionStatus.js';
import { ConversationList } from './ConversationList.js';
import { ComposeIcon, GroupIcon } from './icons.js';
import { NewConversationDialog } from './NewConversationDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';
import { SearchBox } from './SearchBox.js';
import { SearchResults } from './SearchResults.js';

/**
 * The left column: who I am, search, the connection, "New conversation", "New group" and the
 * list; while something is searched for, its results instead of the list.
 */
export function Sidebar() {
  const [dialog, setDialog] = useState<'conversation' | 'group' | null>(null);
  const close = () => setDialog(null);
  const searching = useApp((s) => isSearching(s.search.query));
  const { clearSearch } = useActions();
  const searchInput = useRef<HTMLInputElement>(null);
  const resultsId = useId();
  /** Where the conversation list was scrolled to before a search replaced it. */
  const [listOffset, setListOffset] = useState(0);

  const leaveResults = useCallback(() => {
    clearSearch();
    searchInput.current?.focus();
  }, [clearSearch]);

  return (
    <aside className="sidebar">
      <AccountBar />
      <SearchBox inputRef={searchInput} resultsId={resultsId} />
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
      {searching ? (
        <SearchResults id={resultsId} onEscape={leaveResults} />
      ) : (
        <ConversationList initialOffset={listOffset} onLeave={setListOffset} />
      )}
      {dialog === 'conversation' && <NewConversationDialog onClose={close} />}
      {dialog === 'group' && <NewGroupDialog onClose={close} />}
    </aside>
  );
}
