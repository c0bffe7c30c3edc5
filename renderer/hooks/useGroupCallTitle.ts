import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';

/** What a group call is called: its group's name, or "Call" until the conversation list is read. */
export function useGroupCallTitle(conversationId: string | null): string {
  const title = useApp((s) => s.conversations.find((conversation) => conversation.id === conversationId)?.title ?? null);
  return title ?? t.calls.region;
}
