import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { formatDay } from '../format/time.js';
import { useMarkRead } from '../hooks/useMarkRead.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { messageRows, type MessageRow } from '../state/message-rows.js';
import type { OpenConversation } from '../state/types.js';
import { ArrowDownIcon } from './icons.js';
import { JumpContext } from './jump-context.js';
import { MessageBubble } from './MessageBubble.js';
import { NoticeItem } from './NoticeItem.js';
import { CallEntryItem } from './CallEntryItem.js';

/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK_PX = 48;
/** Closer than this many screens to either end of the window asks for the next page. */
const EDGE_SCREENS = 1.5;
/** A scroll the list made itself (to the newest, a divider, a target) has landed by then at the latest. */
const SETTLE_MS = 600;
/** First guesses at row heights, replaced by measurements as rows are drawn. */
const ESTIMATED_HEIGHT: Record<MessageRow['kind'], number> = { day: 42, unread: 40, notice: 30, message: 58 };

interface Props {
  open: OpenConversation;
  /** The other person's name, or the group's. */
  title: string;
  isGroup: boolean;
  leftGroup: boolean;
  /** A message request not accepted yet: pictures from its people are not shown (RequestBar). */
  request: boolean;
}

/**
 * The scrolling message history, windowed: only the rows in view (and a few around them) are in
 * the DOM, however long the history. Lands on the "Unread messages" divider or the newest message,
 * or on the message jumped to; asks for more history near either end; keeps the reading position
 * while rows are added or let go above it (the virtualizer anchors by row key), and sticks to the
 * bottom while the reader is there.
 */
export function MessageList({ open, title, isGroup, leftGroup, request }: Props) {
  const scrollerRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /** The person scrolled by hand since the last jump (a programmatic scroll does not count). */
  const movedByHand = useRef(false);
  const { loadOlder, loadNewer, jumpToMessage, jumpToLatest, clearTarget, showNotice } = useActions();
  const [awayFromLatest, setAwayFromLatest] = useState(false);
  const myUsername = useApp((s) => s.session?.user.username ?? null);
  const rows = useMemo(
    () => messageRows(open.messages, open.notices, open.unreadAfterSeq),
    [open.messages, open.notices, open.unreadAfterSeq],
  );

  // A page of history appended below (the window did not hold the newest yet) is not a new message:
  // following it to its end would scroll on through history, page after page. Judged by the window
  // as it was before this render, since the last page down also ends `hasNewer`.
  const hadNewer = useRef(open.hasNewer);
  useEffect(() => {
    hadNewer.current = open.hasNewer;
  }, [open.hasNewer]);
  const followNewMessages = !hadNewer.current && !open.hasNewer;

  // The virtualizer re-renders this component itself when the range moves; nothing here is memoized by a compiler.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollerRef.current,
    estimateSize: (index) => ESTIMATED_HEIGHT[rows[index]!.kind],
    getItemKey: (index) => rows[index]!.key,
    overscan: 8,
    anchorTo: 'end',
    followOnAppend: followNewMessages,
    scrollEndThreshold: BOTTOM_SLACK_PX,
    paddingStart: 12,
    paddingEnd: 16,
  });

  const scrollToBottom = useCallback(() => {
    if (rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
    atBottom.current = true;
  }, [rows.length, virtualizer]);

  /** Which scroll request (conversation and number) has been carried out. */
  const doneScroll = useRef<string | null>(null);
  /**
   * A scroll the list made is still landing: growing the window now would shift the rows under
   * it (the virtualizer scrolls to an index), so the edges wait until it has landed.
   */
  const settling = useRef(false);
  const settleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const settleSoon = useCallback(() => {
    settling.current = true;
    clearTimeout(settleTimer.current);
    settleTimer.current = setTimeout(() => {
      settling.current = false;
    }, SETTLE_MS);
  }, []);
  useEffect(() => () => clearTimeout(settleTimer.current), []);
  useLayoutEffect(() => {
    const request = `${open.id}:${open.scroll.n}`;
    if (doneScroll.current === request || !open.loaded) return;
    const { to } = open.scroll;
    if (to === 'target') {
      const index = rows.findIndex((row) => row.key === open.target);
      if (index < 0) return;
      doneScroll.current = request;
      movedByHand.current = false;
      atBottom.current = false;
      settleSoon();
      virtualizer.scrollToIndex(index, { align: 'center' });
      // Drawn once scrolled there: then it takes the focus, so the keyboard goes on from it.
      const id = open.target!;
      requestAnimationFrame(() =>
        scrollerRef.current?.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(id)}"]`)?.focus({ preventScroll: true }),
      );
      return;
    }
    const divider = to === 'first-unread' ? rows.findIndex((row) => row.kind === 'unread') : -1;
    // Before the core has told where the unread ones start, a cached window shows its newest end.
    if (to === 'first-unread' && open.unreadAfterSeq !== null) doneScroll.current = request;
    if (to === 'latest') doneScroll.current = request;
    settleSoon();
    if (divider >= 0) {
      atBottom.current = false;
      virtualizer.scrollToIndex(divider, { align: 'start' });
    } else {
      scrollToBottom();
    }
  }, [open.id, open.scroll, open.loaded, open.target, open.unreadAfterSeq, rows, virtualizer, scrollToBottom, settleSoon]);

  // A message of one's own just sent is followed to the bottom, from wherever the reader was.
  const newest = open.messages.at(-1);
  // Per conversation: the newest message of one just opened is where it lands, not a message sent now.
  const followed = useRef<{ conversationId: string; messageId: string } | null>(null);
  useLayoutEffect(() => {
    if (!newest || !open.loaded) return;
    const before = followed.current;
    if (before?.conversationId === open.id && before.messageId === newest.id) return;
    followed.current = { conversationId: open.id, messageId: newest.id };
    if (before?.conversationId === open.id && newest.own && !open.hasNewer) scrollToBottom();
  }, [newest, open.id, open.loaded, open.hasNewer, scrollToBottom]);

  // The composer growing (or the window resizing) must not push the newest message out of view.
  useEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current && !open.hasNewer) scroller.scrollTop = scroller.scrollHeight;
    });
    observer.observe(scroller);
    return () => observer.disconnect();
  }, [open.hasNewer]);

  /** Near an end of the window with more history beyond it: ask for the next page (one at a time). */
  const extending = useRef(false);
  const loadNearEdges = useCallback(() => {
    const scroller = scrollerRef.current;
    if (!scroller || extending.current || settling.current || !open.loaded) return;
    if (doneScroll.current !== `${open.id}:${open.scroll.n}`) return;
    const edge = EDGE_SCREENS * scroller.clientHeight;
    const fromEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
    const load = open.hasOlder && scroller.scrollTop < edge ? loadOlder : open.hasNewer && fromEnd < edge ? loadNewer : null;
    if (!load) return;
    extending.current = true;
    void load().finally(() => {
      extending.current = false;
    });
  }, [open.loaded, open.id, open.scroll.n, open.hasOlder, open.hasNewer, loadOlder, loadNewer]);

  // A short window (or one just extended) may still end near the screen: keep filling it. The
  // edge keys, not the count, say it moved: a full window slides by a page and keeps its length.
  const firstKey = rows[0]?.key;
  const lastKey = rows.at(-1)?.key;
  useEffect(() => {
    const timer = setTimeout(loadNearEdges, SETTLE_MS);
    return () => clearTimeout(timer);
  }, [firstKey, lastKey, rows.length, loadNearEdges]);

  const onScroll = () => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const fromEnd = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight;
    atBottom.current = fromEnd <= BOTTOM_SLACK_PX;
    setAwayFromLatest(open.hasNewer || fromEnd > scroller.clientHeight);
    loadNearEdges();
    noteShown();
    // Moving on from the message jumped to: scrolled by hand until it is out of view.
    if (open.target && movedByHand.current) {
      const target = scroller.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(open.target)}"]`);
      const box = scroller.getBoundingClientRect();
      const place = target?.getBoundingClientRect();
      if (!place || place.bottom < box.top || place.top > box.bottom) clearTarget();
    }
  };
  const onHandScroll = () => {
    movedByHand.current = true;
    settling.current = false;
  };
  // Already at the very top (or bottom) a wheel scrolls nothing and fires no scroll event, yet
  // the person is asking for more: if a page failed to come, this asks again.
  const onWheel = () => {
    onHandScroll();
    loadNearEdges();
  };

  const jumpTo = useCallback(
    (messageId: string) => {
      const conversationId = open.id;
      void jumpToMessage(conversationId, messageId).then((found) => {
        if (!found) showNotice(t.quote.notFound);
      });
    },
    [open.id, jumpToMessage, showNotice],
  );

  // The newest message drawn within the scroller's box, once the list has landed where it opens:
  // what is read, and no further (a message below the screen, or flown past, stays unread).
  const [shownSeq, setShownSeq] = useState<{ id: string; seq: number } | null>(null);
  const noteShown = useCallback(() => {
    const scroller = scrollerRef.current;
    if (!scroller || !open.loaded || doneScroll.current !== `${open.id}:${open.scroll.n}`) return;
    const box = scroller.getBoundingClientRect();
    let newest: number | null = null;
    for (const element of scroller.querySelectorAll<HTMLElement>('.messages__row')) {
      const place = element.getBoundingClientRect();
      if (place.bottom <= box.top || place.top >= box.bottom) continue;
      const row = rows[Number(element.dataset.index)];
      // A call's entry is read as a message is (a missed call counts as unread).
      const seq = row?.kind === 'message' ? row.message.seq : row?.kind === 'notice' && row.notice.call ? row.notice.seq : null;
      if (seq !== null && seq !== undefined && (newest === null || seq > newest)) newest = seq;
    }
    if (newest === null) return;
    const seen = newest;
    setShownSeq((current) => (current?.id === open.id && current.seq >= seen ? current : { id: open.id, seq: seen }));
  }, [open.id, open.loaded, open.scroll.n, rows]);
  useEffect(() => {
    noteShown();
    const timer = setTimeout(noteShown, SETTLE_MS);
    return () => clearTimeout(timer);
  });
  useMarkRead(open.id, shownSeq?.id === open.id ? shownSeq.seq : null);

  const showJumpToLatest = open.loaded && (open.hasNewer || awayFromLatest);

  return (
    <JumpContext.Provider value={jumpTo}>
      <div className="messages-frame">
        <div
          className="messages"
          ref={scrollerRef}
          onScroll={onScroll}
          onWheel={onWheel}
          onTouchMove={onHandScroll}
          onKeyDown={onHandScroll}
          onPointerDown={onHandScroll}
        >
          <div className="messages__inner">
            <div
              role="log"
              aria-label={t.conversation.messagesLabel}
              className="messages__log"
              style={{ height: virtualizer.getTotalSize() }}
            >
              {virtualizer.getVirtualItems().map((item) => {
                const row = rows[item.index]!;
                return (
                  <div
                    key={item.key}
                    data-index={item.index}
                    ref={virtualizer.measureElement}
                    className="messages__row"
                    style={{ transform: `translateY(${item.start}px)` }}
                  >
                    <Row
                      row={row}
                      open={open}
                      isGroup={isGroup}
                      myUsername={myUsername}
                      leftGroup={leftGroup}
                      request={request}
                    />
                  </div>
                );
              })}
            </div>
            {!open.loaded && !open.error && <p className="messages__note">{t.conversation.loading}</p>}
            {open.error && (
              <p className="messages__note messages__note--error" role="alert">
                {t.conversation.loadError} {open.error}
              </p>
            )}
            {open.loaded && rows.length === 0 && (
              <div className="empty empty--conversation">
                <p className="empty__title">{t.conversation.empty}</p>
                <p className="empty__hint">{isGroup ? t.group.emptyHint(title) : t.conversation.emptyHint(title)}</p>
              </div>
            )}
          </div>
        </div>
        {showJumpToLatest && (
          <button
            type="button"
            className="messages__latest"
            aria-label={t.conversation.jumpToLatest}
            title={t.conversation.jumpToLatest}
            onClick={() => {
              atBottom.current = true;
              void jumpToLatest();
            }}
          >
            <ArrowDownIcon size={20} />
          </button>
        )}
      </div>
    </JumpContext.Provider>
  );
}

interface RowProps {
  row: MessageRow;
  open: OpenConversation;
  isGroup: boolean;
  myUsername: string | null;
  leftGroup: boolean;
  request: boolean;
}

function Row({ row, open, isGroup, myUsername, leftGroup, request }: RowProps) {
  switch (row.kind) {
    case 'day':
      return (
        <div className="messages__day">
          <span>{formatDay(row.at)}</span>
        </div>
      );
    case 'unread':
      return (
        <div role="separator" aria-label={t.conversation.unreadDivider} className="messages__unread">
          <span aria-hidden="true">{t.conversation.unreadDivider}</span>
        </div>
      );
    case 'notice':
      return row.notice.call ? (
        <CallEntryItem notice={row.notice} call={row.notice.call} conversationId={open.id} />
      ) : (
        <NoticeItem notice={row.notice} />
      );
    case 'message': {
      const { message, groupStart } = row;
      return (
        <MessageBubble
          message={message}
          groupStart={groupStart}
          current={message.id === open.target}
          sender={!isGroup || message.own ? 'none' : groupStart ? 'shown' : 'hidden'}
          mentionOf={isGroup ? myUsername : null}
          leftGroup={leftGroup}
          withholdPictures={request && !message.own}
        />
      );
    }
    default: {
      const unknown: never = row;
      throw new Error(`unknown row ${JSON.stringify(unknown)}`);
    }
  }
}
