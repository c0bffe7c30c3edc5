import type { Conversation } from '../../protocol/frames.js';
import { LIMITS } from '../../protocol/limits.js';

/**
 * Members one page of list_conversations reads at most (unless its first conversation alone has
 * more): a few full groups, so a person whom strangers put into many of them still gets pages the
 * store reads quickly and a client accepts.
 */
export const MAX_MEMBERS_PER_CONVERSATION_PAGE = 4 * LIMITS.maxGroupMembers;

/** Room left in a page's frame for its type, rid and cursor. */
const FRAME_OVERHEAD_BYTES = 512;

/**
 * The first conversations of a page whose reply stays under LIMITS.maxConversationsPageBytes as
 * the server sends it (JSON in UTF-8); never fewer than one, and a full group fits well within.
 */
export function withinPageBytes(conversations: readonly Conversation[]): Conversation[] {
  let bytes = FRAME_OVERHEAD_BYTES;
  for (let i = 0; i < conversations.length; i += 1) {
    bytes += Buffer.byteLength(JSON.stringify(conversations[i])) + 1;
    if (bytes > LIMITS.maxConversationsPageBytes && i > 0) return conversations.slice(0, i);
  }
  return [...conversations];
}
