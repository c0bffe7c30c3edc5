import type { MessageView } from '../../sync/app-api/contract.js';
import type { OpenConversation } from './types.js';

/**
 * Whether a message someone chose (to answer, to edit) has gone from its conversation: the open
 * window covers the stretch where it was and a re-read no longer has it (its timer ran out, or it
 * was discarded unsent). A message merely outside the window, scrolled or jumped away from, has not.
 */
export function goneFromWindow(open: OpenConversation | null, message: MessageView): boolean {
  if (open?.id !== message.conversationId || !open.loaded) return false;
  if (open.messages.some((shown) => shown.id === message.id)) return false;
  // Unsent messages belong to the newest stretch.
  if (message.seq === null) return !open.hasNewer;
  const numbered = open.messages.filter((shown) => shown.seq !== null);
  const first = numbered[0]?.seq ?? null;
  const last = numbered.at(-1)?.seq ?? null;
  const fromStart = !open.hasOlder || (first !== null && first <= message.seq);
  const toEnd = !open.hasNewer || (last !== null && message.seq <= last);
  return fromStart && toEnd;
}
