/**
 * What the composer of the open conversation is doing besides writing a new message: replying to
 * a message, or editing one of your own. Message rows start these; the composer shows and ends
 * them. Replies are remembered per conversation (like drafts); an edit ends when you leave. Either
 * ends when its message leaves the history (a disappearing message's timer ran out).
 *
 * Two contexts so that the (stable) actions never re-render the message rows that use them.
 */
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import { useApp } from './context.js';
import { goneFromWindow } from './gone.js';

export interface ComposeTarget {
  /** The message being answered, as it is now (or as it was when chosen, if no longer loaded). */
  replyTo: MessageView | null;
  /** The own message being edited, as it is now. */
  editing: MessageView | null;
}

export interface ComposeActions {
  startReply: (message: MessageView) => void;
  cancelReply: () => void;
  startEdit: (message: MessageView) => void;
  cancelEdit: () => void;
}

const TargetContext = createContext<ComposeTarget>({ replyTo: null, editing: null });
const ActionsContext = createContext<ComposeActions | null>(null);

export function ComposeProvider({ conversationId, children }: { conversationId: string; children: ReactNode }) {
  const [replies, setReplies] = useState<ReadonlyMap<string, MessageView>>(() => new Map());
  const [editing, setEditing] = useState<MessageView | null>(null);

  const chosenReply = replies.get(conversationId) ?? null;
  const liveReply = useApp((s) =>
    chosenReply && s.open ? (s.open.messages.find((m) => m.id === chosenReply.id) ?? null) : null,
  );
  const chosenEdit = editing && editing.conversationId === conversationId ? editing : null;
  const liveEdit = useApp((s) => (chosenEdit && s.open ? (s.open.messages.find((m) => m.id === chosenEdit.id) ?? null) : null));
  const replyGone = useApp((s) => chosenReply !== null && goneFromWindow(s.open, chosenReply));
  const editGone = useApp((s) => chosenEdit !== null && goneFromWindow(s.open, chosenEdit));

  const setReply = useCallback((id: string, message: MessageView | null) => {
    setReplies((current) => {
      const next = new Map(current);
      if (message) next.set(id, message);
      else next.delete(id);
      return next;
    });
  }, []);

  // A message that left the history (its timer ran out) ends the reply or edit that chose it, at
  // once in this render, so the bar never shows what is gone and a draft never keeps it.
  if (replyGone) setReply(conversationId, null);
  if (editGone) setEditing(null);

  const actions = useMemo<ComposeActions>(
    () => ({
      startReply: (message) => {
        // Replying ends an edit in progress (its draft comes back), as in other messengers.
        setEditing(null);
        setReply(message.conversationId, message);
      },
      cancelReply: () => setReply(conversationId, null),
      startEdit: (message) => setEditing(message),
      cancelEdit: () => setEditing(null),
    }),
    [conversationId, setReply],
  );

  const target = useMemo<ComposeTarget>(
    () => ({ replyTo: liveReply ?? chosenReply, editing: liveEdit ?? chosenEdit }),
    [liveReply, chosenReply, liveEdit, chosenEdit],
  );

  return (
    <ActionsContext.Provider value={actions}>
      <TargetContext.Provider value={target}>{children}</TargetContext.Provider>
    </ActionsContext.Provider>
  );
}

export function useComposeTarget(): ComposeTarget {
  return useContext(TargetContext);
}

export function useComposeActions(): ComposeActions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error('useComposeActions outside <ComposeProvider>');
  return actions;
}
