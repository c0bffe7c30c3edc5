import { useEffect } from 'react';
import { useActions, useApp } from '../state/context.js';
import { isWindowActive, useWindowActive } from './useWindowActive.js';

/**
 * Marks the open conversation read while — and only while — the window is focused and visible:
 * when it opens, when the window regains focus, and whenever a new message from the peer arrives.
 */
export function useMarkRead(conversationId: string | null): void {
  const active = useWindowActive();
  const { markRead } = useActions();
  // Only once the core has told where the unread messages start, so the divider is not read away first.
  const loaded = useApp((s) => (s.open?.id === conversationId ? s.open.loaded && s.open.unreadAfterSeq !== null : false));
  const newestIncoming = useApp((s) => {
    if (!s.open || s.open.id !== conversationId) return null;
    for (let i = s.open.messages.length - 1; i >= 0; i--) {
      const message = s.open.messages[i]!;
      if (!message.own) return message.id;
    }
    return null;
  });

  useEffect(() => {
    if (!conversationId || !loaded || !active || !isWindowActive()) return;
    markRead(conversationId);
  }, [conversationId, loaded, active, newestIncoming, markRead]);
}
