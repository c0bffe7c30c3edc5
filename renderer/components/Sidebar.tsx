import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import type { SidebarFolder } from '../state/conversations.js';
import { isSearching } from '../state/search.js';
import { AccountBar } from './AccountBar.js';
import { ConnectionStatus } from './ConnectionStatus.js';
import { ConversationList } from './ConversationList.js';
import { ComposeIcon, GroupIcon, RequestIcon } from './icons.js';
import { NewConversationDialog } from './NewConversationDialog.js';
import { NewGroupDialog } from './NewGroupDialog.js';
import { ArchiveIcon, ArrowLeftIcon } from './organise-icons.js';
import { SearchBox } from './SearchBox.js';
import { SearchResults } from './SearchResults.js';

/**
 * The left column: who I am, search, the connection, "New conversation", "New group" and the
 * list; while something is searched for, its results instead of the list. "Message requests"
 * (shown while there are any) and "Archived chats" swap the list for theirs (the same rows), and
 * "Back" returns.
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
  const [folder, setFolder] = useState<SidebarFolder>('main');
  const requestCount = useApp((s) => s.conversations.reduce((n, c) => n + (c.request ? 1 : 0), 0));
  const requestCountId = useId();
  const archiveButton = useRef<HTMLButtonElement>(null);
  const backButton = useRef<HTMLButtonElement>(null);
  /** Focus follows a switch of lists (not the first render). */
  const switched = useRef(false);
  useEffect(() => {
    if (!switched.current) return;
    switched.current = false;
    (folder === 'main' ? archiveButton : backButton).current?.focus();
  }, [folder]);
  const showFolder = (next: SidebarFolder) => {
    switched.current = true;
    setFolder(next);
  };

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
      ) : folder !== 'main' ? (
        <>
          <div className="sidebar__folder">
            <button ref={backButton} type="button" className="button button--secondary" onClick={() => showFolder('main')}>
              <ArrowLeftIcon size={16} />
              <span>{folder === 'archived' ? t.archive.back : t.requests.back}</span>
            </button>
            <h2 className="sidebar__folder-title">{folder === 'archived' ? t.archive.heading : t.requests.heading}</h2>
          </div>
          <ConversationList key={folder} folder={folder} />
        </>
      ) : (
        <>
          {requestCount > 0 && (
            <button
              type="button"
              className="sidebar__archived sidebar__requests"
              // The count is the button's description, not part of its name (a11y contract: "Message requests").
              aria-label={t.requests.open}
              aria-describedby={requestCountId}
              onClick={() => showFolder('requests')}
            >
              <RequestIcon size={16} />
              <span>{t.requests.open}</span>
              <span id={requestCountId} className="sidebar__requests-count">
                {t.requests.count(requestCount)}
              </span>
            </button>
          )}
          <button ref={archiveButton} type="button" className="sidebar__archived" onClick={() => showFolder('archived')}>
            <ArchiveIcon size={16} />
            <span>{t.archive.open}</span>
          </button>
          <ConversationList key="main" folder="main" initialOffset={listOffset} onLeave={setListOffset} />
        </>
      )}
      {dialog === 'conversation' && <NewConversationDialog onClose={close} />}
      {dialog === 'group' && <NewGroupDialog onClose={close} />}
    </aside>
  );
}
