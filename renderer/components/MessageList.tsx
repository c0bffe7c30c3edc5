import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { formatDay, sameDay } from '../format/time.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { MESSAGE_LIMIT_MAX } from '../state/messages.js';
import { timeline, type TimelineEntry } from '../state/timeline.js';
import type { OpenConversation } from '../state/types.js';
import { JumpContext } from './jump-context.js';
import { MessageBubble } from './MessageBubble.js';
import { NoticeItem } from './NoticeItem.js';

/** Within this many pixels of the end counts as "at the bottom". */
const BOTTOM_SLACK_PX = 48;
/** Messages from one sender closer together than this form one visual group. */
const GROUP_GAP_MS = 5 * 60 * 1000;
/** How long a message jumped to from a quote stays highlighted. */
const HIGHLIGHT_MS = 1600;

function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}

const at = (entry: TimelineEntry) => (entry.kind === 'message' ? entry.message.at : entry.notice.at);

interface Props {
  open: OpenConversation;
  /** The other person's name, or the group's. */
  title: string;
  isGroup: boolean;
  leftGroup: boolean;
}

/**
 * The scrolling message history. Sticks to the bottom when new messages arrive if the reader was
 * already there (or just sent one), keeps the reading position when older messages are loaded.
 * Jumps to a quoted message on request (loading older pages until it is there) and highlights it.
 */
export function MessageList({ open, title, isGroup, leftGroup }: Props) {
  const scrollerRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const lastMessageId = useRef<string | null>(null);
  /** Set just before loading older messages: where the reader was, measured from the end. */
  const keepFromEnd = useRef<number | null>(null);
  const { loadOlder, ensureLoaded, showNotice } = useActions();
  const [loadingOlder, setLoadingOlder] = useState(false);
  const { messages, notices } = open;
  const myUsername = useApp((s) => s.session?.user.username ?? null);
  const entries = useMemo(() => timeline(messages, notices), [messages, notices]);
  const [highlightId, setHighlightId] = useState<string | null>(null);
  /** A message to scroll to as soon as it is rendered. */
  const pendingJump = useRef<string | null>(null);
  const [jumpRequest, setJumpRequest] = useState(0);
  const openIdRef = useRef(open.id);
  useLayoutEffect(() => {
    openIdRef.current = open.id;
  });

  const scrollToBottom = useCallback(() => {
    const scroller = scrollerRef.current;
    if (scroller) scroller.scrollTop = scroller.scrollHeight;
  }, []);

  // A newly opened conversation starts at its newest message.
  useLayoutEffect(() => {
    atBottom.current = true;
    lastMessageId.current = null;
    keepFromEnd.current = null;
    pendingJump.current = null;
    // eslint-disable-next-line react-hooks/set-state-in-effect -- a highlight belongs to the conversation it was made in: clear it before paint when another opens
    setHighlightId(null);
    scrollToBottom();
  }, [open.id, scrollToBottom]);

  useLayoutEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    const newest = messages[messages.length - 1] ?? null;
    const newestChanged = newest !== null && newest.id !== lastMessageId.current;
    lastMessageId.current = newest?.id ?? null;
    if (keepFromEnd.current !== null) {
      scroller.scrollTop = scroller.scrollHeight - keepFromEnd.current;
      keepFromEnd.current = null;
    } else if (atBottom.current || (newestChanged && newest.own)) {
      scroller.scrollTop = scroller.scrollHeight;
      atBottom.current = true;
    }
  }, [messages]);

  // After the effect above, so a jump wins over sticking to the bottom.
  useLayoutEffect(() => {
    const id = pendingJump.current;
    const scroller = scrollerRef.current;
    if (!id || !scroller) return;
    const target = scroller.querySelector<HTMLElement>(`[data-message-id="${CSS.escape(id)}"]`);
    if (!target) return;
    pendingJump.current = null;
    keepFromEnd.current = null;
    atBottom.current = false;
    // Glide over short distances; jump straight over long ones (as far as a loaded older page).
    const distance = Math.abs(target.getBoundingClientRect().top - scroller.getBoundingClientRect().top);
    const smooth = !prefersReducedMotion() && distance < 2 * scroller.clientHeight;
    target.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
    target.focus({ preventScroll: true });
    setHighlightId(id);
  }, [messages, jumpRequest]);

  useEffect(() => {
    if (!highlightId) return;
    const timer = setTimeout(() => setHighlightId(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlightId]);

  const jumpTo = useCallback(
    (messageId: string) => {
      const conversationId = openIdRef.current;
      void ensureLoaded(messageId).then((found) => {
        if (openIdRef.current !== conversationId) return;
        if (!found) {
          showNotice(t.quote.notFound);
          return;
        }
        pendingJump.current = messageId;
        setHighlightId(null);
        setJumpRequest((n) => n + 1);
      });
    },
    [ensureLoaded, showNotice],
  );

  // The composer growing (or the window resizing) must not push the newest message out of view.
  useEffect(() => {
    const scroller = scrollerRef.current;
    if (!scroller || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (atBottom.current) scrollToBottom();
    });
    observer.observe(scroller);
    return () => observer.disconnect();
  }, [scrollToBottom]);

  const onScroll = () => {
    const scroller = scrollerRef.current;
    if (!scroller) return;
    atBottom.current = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= BOTTOM_SLACK_PX;
  };

  const onLoadOlder = () => {
    const scroller = scrollerRef.current;
    if (scroller) keepFromEnd.current = scroller.scrollHeight - scroller.scrollTop;
    setLoadingOlder(true);
    // loadOlder never rejects (its refetch reports its own errors).
    void loadOlder().finally(() => setLoadingOlder(false));
  };

  const canLoadOlder = open.hasOlder && open.limit < MESSAGE_LIMIT_MAX;

  return (
    <JumpContext.Provider value={jumpTo}>
      <div className="messages" ref={scrollerRef} onScroll={onScroll}>
        <div className="messages__inner">
          {canLoadOlder && (
            <div className="messages__older">
              <button
                type="button"
                className="button button--secondary button--small"
                onClick={onLoadOlder}
                disabled={loadingOlder}
              >
                {loadingOlder ? t.conversation.loadingOlder : t.conversation.loadOlder}
              </button>
            </div>
          )}
          {open.hasOlder && !canLoadOlder && <p className="messages__note">{t.conversation.olderUnavailable}</p>}
          <div role="log" aria-label={t.conversation.messagesLabel} className="messages__log">
            {entries.map((entry, index) => {
              const previous = index > 0 ? entries[index - 1] : undefined;
              const newDay = !previous || !sameDay(at(previous), at(entry));
              const day = newDay && (
                <div className="messages__day">
                  <span>{formatDay(at(entry))}</span>
                </div>
              );
              if (entry.kind === 'notice') {
                return (
                  <Fragment key={`notice-${entry.notice.seq}`}>
                    {day}
                    <NoticeItem notice={entry.notice} />
                  </Fragment>
                );
              }
              const { message } = entry;
              const before = previous?.kind === 'message' ? previous.message : undefined;
              const groupStart =
                newDay || !before || before.senderId !== message.senderId || message.at - before.at > GROUP_GAP_MS;
              return (
                <Fragment key={message.id}>
                  {day}
                  <MessageBubble
                    message={message}
                    groupStart={groupStart}
                    highlighted={message.id === highlightId}
                    sender={!isGroup || message.own ? 'none' : groupStart ? 'shown' : 'hidden'}
                    mentionOf={isGroup ? myUsername : null}
                    leftGroup={leftGroup}
                  />
                </Fragment>
              );
            })}
          </div>
          {!open.loaded && !open.error && <p className="messages__note">{t.conversation.loading}</p>}
          {open.error && (
            <p className="messages__note messages__note--error" role="alert">
              {t.conversation.loadError} {open.error}
            </p>
          )}
          {open.loaded && entries.length === 0 && (
            <div className="empty empty--conversation">
              <p className="empty__title">{t.conversation.empty}</p>
              <p className="empty__hint">{isGroup ? t.group.emptyHint(title) : t.conversation.emptyHint(title)}</p>
            </div>
          )}
        </div>
      </div>
    </JumpContext.Provider>
  );
}
