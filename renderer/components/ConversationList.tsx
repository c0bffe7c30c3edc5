import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useWindowedList } from '../hooks/useWindowedList.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { inFolder, type SidebarFolder } from '../state/conversations.js';
import { ConversationListItem } from './ConversationListItem.js';

/** A row's height before it is measured (avatar, two lines, padding). */
const ROW_HEIGHT = 60;
/** Space above the first row and below the last. */
const LIST_PADDING = 6;

/** Read when shown: the language may change meanwhile. */
const LIST_LABEL: Record<SidebarFolder, () => string> = {
  main: () => t.conversations.listLabel,
  archived: () => t.archive.listLabel,
  requests: () => t.requests.listLabel,
};
const EMPTY: Record<SidebarFolder, () => { title: string; hint: string | null }> = {
  main: () => ({ title: t.conversations.empty, hint: t.conversations.emptyHint }),
  archived: () => ({ title: t.archive.empty, hint: t.archive.emptyHint }),
  requests: () => ({ title: t.requests.empty, hint: null }),
};

interface Props {
  /** The main list (default), the "Archived" one or "Message requests": the same rows, chosen by each summary (folderOf). */
  folder?: SidebarFolder;
  /** Where the list was scrolled to when it was last shown (it is replaced while searching). */
  initialOffset?: number;
  /** Told where it was scrolled to when it goes away. */
  onLeave?: (offset: number) => void;
}

/**
 * The left column's list, most recent activity first (the store keeps it sorted). Windowed: only
 * the rows in view are in the DOM, each with its place in the whole list (aria-posinset of
 * aria-setsize). One row is the list's tab stop (the last one focused, else the open
 * conversation's, else the first); arrow keys, Home, End, Page Up and Page Down move between rows.
 */
export function ConversationList({ folder = 'main', initialOffset, onLeave }: Props) {
  const all = useApp((s) => s.conversations);
  const conversations = useMemo(() => inFolder(all, folder), [all, folder]);
  const loaded = useApp((s) => s.conversationsLoaded);
  const error = useApp((s) => s.conversationsError);
  const openId = useApp((s) => s.open?.id ?? null);
  const { openConversation } = useActions();

  const scrollRef = useRef<HTMLDivElement>(null);
  /** The conversation last focused in the list: it keeps the tab stop while the list reorders. */
  const [focusedId, setFocusedId] = useState<string | null>(null);
  const indexOf = useMemo(() => new Map(conversations.map((c, index) => [c.id, index])), [conversations]);
  const tabIndex =
    (focusedId !== null ? indexOf.get(focusedId) : undefined) ??
    (openId !== null ? indexOf.get(openId) : undefined) ??
    (conversations.length > 0 ? 0 : -1);

  const getItemKey = useCallback((index: number) => conversations[index]?.id ?? String(index), [conversations]);
  const { virtualizer, onRowKeyDown } = useWindowedList(scrollRef, {
    count: conversations.length,
    estimateSize: ROW_HEIGHT,
    getItemKey,
    keepIndex: tabIndex,
    padding: LIST_PADDING,
    initialOffset,
  });

  // Shown again (after a search): make sure the open conversation is in view, if it is not.
  const openIndexAtMount = useRef(openId !== null ? (indexOf.get(openId) ?? -1) : -1);
  useEffect(() => {
    if (openIndexAtMount.current >= 0) virtualizer.scrollToIndex(openIndexAtMount.current, { align: 'auto' });
  }, [virtualizer]);

  const leave = useRef(onLeave);
  useEffect(() => {
    leave.current = onLeave;
  });
  useEffect(() => () => leave.current?.(virtualizer.scrollOffset ?? 0), [virtualizer]);

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (!row) return;
    onRowKeyDown(event, Number(row.dataset.index), (index) => setFocusedId(conversations[index]?.id ?? null));
  };

  const setSize = conversations.length;
  return (
    <div className="conversation-list" ref={scrollRef}>
      <ul
        role="list"
        aria-label={LIST_LABEL[folder]()}
        className="conversation-list__items"
        style={{ height: virtualizer.getTotalSize() }}
        onKeyDown={onKeyDown}
      >
        {virtualizer.getVirtualItems().map((row) => {
          const conversation = conversations[row.index];
          if (!conversation) return null;
          return (
            <ConversationListItem
              key={conversation.id}
              conversation={conversation}
              index={row.index}
              setSize={setSize}
              start={row.start}
              measureRef={virtualizer.measureElement}
              tabbable={row.index === tabIndex}
              selected={conversation.id === openId}
              onOpen={openConversation}
              onFocus={setFocusedId}
            />
          );
        })}
      </ul>
      {error && conversations.length === 0 && (
        <p className="conversation-list__error" role="alert">
          {t.conversations.loadError}
        </p>
      )}
      {loaded && !error && conversations.length === 0 && (
        <div className="empty empty--sidebar">
          <p className="empty__title">{EMPTY[folder]().title}</p>
          {EMPTY[folder]().hint && <p className="empty__hint">{EMPTY[folder]().hint}</p>}
        </div>
      )}
    </div>
  );
}
