import { Fragment, memo, useCallback, useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import type { ConversationSummary, SearchResult } from '../../sync/app-api/contract.js';
import { formatFull, formatListTime } from '../format/time.js';
import { useWindowedList } from '../hooks/useWindowedList.js';
import { t } from '../i18n/index.js';
import { useLanguage } from '../i18n/use-language.js';
import { useActions, useApp } from '../state/context.js';
import { resultKey } from '../state/search.js';
import { GroupAvatar } from './Avatar.js';
import { ConversationAvatar } from './ConversationAvatar.js';

/** A result's height before it is measured (avatar, two lines, padding). */
const ROW_HEIGHT = 62;
const LIST_PADDING = 6;

/** The id of one result's button, for the search box's aria-activedescendant. */
export function resultRowId(listId: string, index: number): string {
  return `${listId}-${index}`;
}

interface Props {
  id: string;
  /** Escape from a result: empty the search and put focus back in the box. */
  onEscape: () => void;
}

/**
 * What the search found, newest first, in place of the conversation list: each result names its
 * conversation, sender and date, with a snippet whose matched words are marked (<mark>, plain
 * text: never markup from the message). Windowed like the conversation list. The selected result
 * is the one Enter in the box opens and the list's tab stop; a click opens any.
 */
export function SearchResults({ id, onEscape }: Props) {
  const { results, selected, pending, error } = useApp((s) => s.search);
  const conversations = useApp((s) => s.conversations);
  const byId = useMemo(() => new Map(conversations.map((c) => [c.id, c])), [conversations]);
  const { openSearchResult, selectSearchResult } = useActions();

  const scrollRef = useRef<HTMLDivElement>(null);
  const getItemKey = useCallback(
    (index: number) => {
      const result = results[index];
      return result ? resultKey(result) : String(index);
    },
    [results],
  );
  const { virtualizer, onRowKeyDown } = useWindowedList(scrollRef, {
    count: results.length,
    estimateSize: ROW_HEIGHT,
    getItemKey,
    keepIndex: results.length > 0 ? selected : -1,
    padding: LIST_PADDING,
  });

  // The selected result stays in view while the arrow keys in the box move it.
  useEffect(() => {
    if (results.length > 0) virtualizer.scrollToIndex(selected, { align: 'auto' });
  }, [virtualizer, selected, results]);

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onEscape();
      return;
    }
    const row = (event.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (row) onRowKeyDown(event, Number(row.dataset.index), selectSearchResult);
  };

  const open = useCallback((index: number) => void openSearchResult(index), [openSearchResult]);

  let status: string;
  if (error !== null) status = error;
  else if (results.length > 0) status = t.search.found(results.length);
  else status = pending ? t.search.searching : t.search.noResults;

  return (
    <div className="search-results" ref={scrollRef}>
      <ul
        id={id}
        role="list"
        aria-label={t.search.resultsLabel}
        aria-busy={pending}
        className="search-results__items"
        style={{ height: virtualizer.getTotalSize() }}
        onKeyDown={onKeyDown}
      >
        {virtualizer.getVirtualItems().map((row) => {
          const result = results[row.index];
          if (!result) return null;
          return (
            <SearchResultRow
              key={row.key}
              id={resultRowId(id, row.index)}
              result={result}
              conversation={byId.get(result.conversationId)}
              index={row.index}
              setSize={results.length}
              start={row.start}
              measureRef={virtualizer.measureElement}
              selected={row.index === selected}
              onOpen={open}
              onSelect={selectSearchResult}
            />
          );
        })}
      </ul>
      <p
        role="status"
        className={
          results.length > 0
            ? 'visually-hidden'
            : `search-results__status${error !== null ? ' search-results__status--error' : ''}`
        }
      >
        {status}
      </p>
    </div>
  );
}

interface RowProps {
  id: string;
  result: SearchResult;
  /** Its conversation as listed (for the avatar), when the list has it. */
  conversation: ConversationSummary | undefined;
  index: number;
  setSize: number;
  start: number;
  measureRef: (element: HTMLLIElement | null) => void;
  selected: boolean;
  onOpen: (index: number) => void;
  onSelect: (index: number) => void;
}

const SearchResultRow = memo(function SearchResultRow({
  id,
  result,
  conversation,
  index,
  setSize,
  start,
  measureRef,
  selected,
  onOpen,
  onSelect,
}: RowProps) {
  useLanguage(); // memo() keeps equal props from re-rendering: this re-renders it when the language changes
  const { conversationId, conversationTitle, senderName, own, at, snippet } = result;
  return (
    <li
      ref={measureRef}
      className="search-results__row"
      data-index={index}
      aria-setsize={setSize}
      aria-posinset={index + 1}
      style={{ transform: `translateY(${start}px)` }}
    >
      <button
        id={id}
        type="button"
        className={`search-result${selected ? ' search-result--selected' : ''}`}
        tabIndex={selected ? 0 : -1}
        onClick={() => onOpen(index)}
        onFocus={() => onSelect(index)}
      >
        {conversation ? (
          <ConversationAvatar conversation={conversation} />
        ) : (
          <GroupAvatar id={conversationId} name={conversationTitle} />
        )}
        <span className="search-result__body">
          <span className="search-result__top">
            <span className="search-result__title">{conversationTitle}</span>
            <time className="search-result__time" dateTime={new Date(at).toISOString()} title={formatFull(at)}>
              {formatListTime(at)}
            </time>
          </span>
          <span className="search-result__snippet">
            <span className="search-result__sender">{t.search.sender(own ? t.search.you : senderName)}</span>
            {snippet.map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <Fragment key={i}>{part.text}</Fragment>))}
          </span>
        </span>
      </button>
    </li>
  );
});
