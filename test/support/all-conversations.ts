import type { Conversation } from '../../sync/protocol/frames.js';
import { LIMITS } from '../../sync/protocol/limits.js';
import { MAX_MEMBERS_PER_CONVERSATION_PAGE } from '../../sync/server/handlers/conversation-list.js';
import type { ServerStore } from '../../sync/server/store/server-store.js';

/** Every conversation the store lists for `userId`, page after page (what a client's sync gathers). */
export async function allConversationsOf(
  store: Pick<ServerStore, 'listConversationsOf'>,
  userId: string,
): Promise<Conversation[]> {
  const all: Conversation[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.listConversationsOf(userId, {
      ...(after !== undefined ? { after } : {}),
      limit: LIMITS.maxConversationsPage,
      maxMembers: MAX_MEMBERS_PER_CONVERSATION_PAGE,
    });
    all.push(...page.conversations);
    after = page.conversations.at(-1)?.id;
    if (!page.more || after === undefined) return all;
  }
}
