import { useEffect, type KeyboardEvent, type RefObject } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { isSearching } from '../state/search.js';
import { CloseIcon, SearchIcon } from './icons.js';
import { isMacPlatform, isSearchShortcut, searchKeyShortcuts } from './keys.js';
import { resultRowId } from './SearchResults.js';

const isMac = isMacPlatform(navigator.userAgent);

interface Props {
  inputRef: RefObject<HTMLInputElement | null>;
  /** The id of the results list it drives. */
  resultsId: string;
}

/**
 * The sidebar's search box: results show in place of the conversation list as the person types.
 * Ctrl+K (⌘K) focuses it from anywhere, Escape empties it. Focus stays in it while the arrow keys
 * move through the results (aria-activedescendant) and Enter opens the selected one (the message
 * then takes focus); the query stays, so Ctrl+K and the arrow keys pick another.
 */
export function SearchBox({ inputRef, resultsId }: Props) {
  const query = useApp((s) => s.search.query);
  const count = useApp((s) => s.search.results.length);
  const selected = useApp((s) => s.search.selected);
  const { setSearchQuery, clearSearch, selectSearchResult, openSearchResult } = useActions();
  const searching = isSearching(query);

  useEffect(() => {
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      if (!isSearchShortcut(event, isMac)) return;
      // A modal dialog keeps the keyboard (and everything behind it is inert).
      if (document.querySelector('dialog:modal')) return;
      event.preventDefault();
      inputRef.current?.focus();
      inputRef.current?.select();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [inputRef]);

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.nativeEvent.isComposing || event.altKey || event.ctrlKey || event.metaKey) return;
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp':
        if (!searching || count === 0) return;
        event.preventDefault();
        selectSearchResult(selected + (event.key === 'ArrowDown' ? 1 : -1));
        break;
      case 'Enter':
        if (!searching) return;
        event.preventDefault();
        void openSearchResult();
        break;
      case 'Escape':
        if (query === '') return;
        event.preventDefault();
        clearSearch();
        break;
    }
  };

  const clear = () => {
    clearSearch();
    inputRef.current?.focus();
  };

  return (
    <div className="search" role="search">
      <SearchIcon size={16} className="search__icon" />
      <input
        ref={inputRef}
        type="text"
        className="search__input"
        aria-label={t.search.label}
        placeholder={t.search.placeholder}
        aria-keyshortcuts={searchKeyShortcuts(isMac)}
        aria-controls={searching ? resultsId : undefined}
        aria-activedescendant={searching && count > 0 ? resultRowId(resultsId, selected) : undefined}
        autoComplete="off"
        spellCheck={false}
        enterKeyHint="search"
        value={query}
        onChange={(event) => setSearchQuery(event.target.value)}
        onKeyDown={onKeyDown}
      />
      {query !== '' ? (
        <button
          type="button"
          className="icon-button icon-button--small search__clear"
          aria-label={t.search.clear}
          onClick={clear}
        >
          <CloseIcon size={14} />
        </button>
      ) : (
        <kbd className="search__shortcut" aria-hidden="true">
          {t.search.shortcut(isMac)}
        </kbd>
      )}
    </div>
  );
}
