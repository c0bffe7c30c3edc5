import { useEffect } from 'react';
import { useActions, useApp } from '../state/context.js';
import { isWindowActive, useWindowActive } from './useWindowActive.js';

/**
 * Marks the open conversation read up to the last message shown on screen (`shownSeq`), while —
 * and only while — the window is focused and visible: nothing scrolled past unseen, or further
 * down than the screen reaches, is read. Scrolling on (or a new message drawn in view) reads on.
 */
export function useMarkRead(conversationId: string, shownSeq: number | null): void {
  const active = useWindowActive();
  const { markRead } = useActions();
  // Only once the core has told where the unread messages start, so the divider is not read away first.
  const loaded = useApp((s) => (s.open?.id === conversationId ? s.open.loaded && s.open.unreadAfterSeq !== null : false));

  useEffect(() => {
    if (!loaded || shownSeq === null || !active || !isWindowActive()) return;
    markRead(conversationId, shownSeq);
  }, [conversationId, loaded, active, shownSeq, markRead]);
}
