/**
 * A list that renders only the rows in view (plus a few either side), so ten thousand rows keep the
 * DOM small (@tanstack/react-virtual). Rows are absolutely placed inside a container as tall as
 * the whole list; each is measured once rendered. One row — the list's tab stop or the one holding
 * focus — is always rendered wherever the list is scrolled, so focus is never lost to a row that
 * scrolled away, and arrow keys can move to a row that is not rendered yet.
 */
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useLayoutEffect, useRef, type KeyboardEvent, type RefObject } from 'react';
import { rowForKey } from '../components/keys.js';

interface Options {
  count: number;
  /** A row's height before it has been measured, in pixels. */
  estimateSize: number;
  /** A stable key per row, so measurements stay with their row when the list reorders. */
  getItemKey: (index: number) => string;
  /** The row always rendered (the tab stop); -1 for none. */
  keepIndex: number;
  /** Space above the first row and below the last, in pixels. */
  padding?: number;
  /** Where to start scrolled to (a list shown again). */
  initialOffset?: number;
}

/** Rows rendered beyond each edge of the view. */
const OVERSCAN = 6;

export function useWindowedList(scrollRef: RefObject<HTMLElement | null>, options: Options) {
  const { count, estimateSize, getItemKey, keepIndex, padding = 0, initialOffset } = options;
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      if (keepIndex < 0 || keepIndex >= range.count || indexes.includes(keepIndex)) return indexes;
      return [...indexes, keepIndex].sort((a, b) => a - b);
    },
    [keepIndex],
  );
  // The virtualizer is a mutable object by design; nothing it returns is memoised by React here.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer<HTMLElement, HTMLLIElement>({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => estimateSize,
    getItemKey,
    overscan: OVERSCAN,
    rangeExtractor,
    paddingStart: padding,
    paddingEnd: padding,
    initialOffset,
  });

  /** A row to focus once it is rendered (it may need the render that makes it the kept row). */
  const pendingFocus = useRef<number | null>(null);
  const rowButton = useCallback(
    (index: number) => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${index}"] button`) ?? null,
    [scrollRef],
  );
  useLayoutEffect(() => {
    const index = pendingFocus.current;
    if (index === null) return;
    const button = rowButton(index);
    if (!button) return;
    pendingFocus.current = null;
    virtualizer.scrollToIndex(index, { align: 'auto' });
    button.focus({ preventScroll: true });
  });

  /** Scrolls to a row and focuses its button (now, or after the render that brings it in). */
  const focusRow = useCallback(
    (index: number) => {
      virtualizer.scrollToIndex(index, { align: 'auto' });
      const button = rowButton(index);
      if (button) button.focus({ preventScroll: true });
      else pendingFocus.current = index;
    },
    [virtualizer, rowButton],
  );

  /** How many rows a page key moves: about one view's worth. */
  const pageRows = useCallback(() => {
    const height = scrollRef.current?.clientHeight ?? 0;
    return Math.max(1, Math.floor(height / estimateSize) - 1);
  }, [scrollRef, estimateSize]);

  /**
   * Arrow keys, Home, End, Page Up and Page Down from a row: `go` is told the row to move to and
   * the focus follows it.
   */
  const onRowKeyDown = useCallback(
    (event: KeyboardEvent, current: number, go: (index: number) => void) => {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const next = rowForKey(event.key, current, count, pageRows());
      if (next === null) return;
      event.preventDefault();
      go(next);
      focusRow(next);
    },
    [count, pageRows, focusRow],
  );

  return { virtualizer, focusRow, onRowKeyDown };
}
