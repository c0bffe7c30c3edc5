import type { Conversation } from '../../protocol/frames.js';
import type { Session } from './pg-connections.js';
import { toFrozenWatermarks, withFrozen } from './event-visibility.js';
import * as shared from './shared-sql.js';
import {
  BEFORE_FIRST,
  candidatesFor,
  cutConversationPage,
  toConversationPage,
  type CurrentConversationRow,
  type FormerConversationRow,
} from './conversation-page.js';
import type { ConversationPage, ConversationPageRequest } from './server-store.js';
import { toConversation, toFormerConversation, toMember, type MemberConversationRow, type MemberRow } from './store-rows.js';

/**
 * Reading conversations in PostgreSQL: the same statements as SQLite's (shared-sql.ts), each read
 * a handful of statements in one REPEATABLE READ READ ONLY transaction the store opens, so they
 * see one snapshot and nothing is read once per conversation.
 */

type FrozenRow = Parameters<typeof toFrozenWatermarks>[0][number];

export async function conversationForMemberWith(
  tx: Session,
  conversationId: string,
  userId: string,
): Promise<Conversation | null> {
  const { rows } = await tx.query<MemberConversationRow>(shared.conversationForMemberSql('$1', '$2'), [conversationId, userId]);
  const row = rows[0];
  if (!row) return null;
  const { rows: members } = await tx.query<MemberRow>(shared.membersOfSql('$1'), [conversationId]);
  // Kept by blocks: in a direct conversation, and in a group by those who blocked the reader.
  const { rows: frozen } = await tx.query<FrozenRow>(
    `SELECT conversation_id, user_id, delivered_seq, read_seq FROM block_watermarks WHERE conversation_id = $1 AND user_id <> $2
     UNION ALL ${shared.groupFrozenWatermarksForSql('$2', { conversation: '$1' })}`,
    [conversationId, userId],
  );
  return toConversation(row, withFrozen(members.map(toMember), toFrozenWatermarks(frozen).get(conversationId)));
}

/** The group as `userId`, who left it or was removed, may see it; null when they never were in it. */
export async function formerConversationWith(tx: Session, conversationId: string, userId: string): Promise<Conversation | null> {
  const { rows } = await tx.query<FormerConversationRow>(shared.formerConversationSql('$1', '$2'), [conversationId, userId]);
  const row = rows[0];
  return row ? toFormerConversation(row, row.last_visible_seq) : null;
}

export async function conversationsOfWith(tx: Session, userId: string, page: ConversationPageRequest): Promise<ConversationPage> {
  const after = page.after ?? BEFORE_FIRST;
  const limit = candidatesFor(page);
  const { rows: current } = await tx.query<CurrentConversationRow>(shared.conversationsOfSql('$1', '$2', '$3'), [
    userId,
    after,
    limit,
  ]);
  const { rows: former } = await tx.query<FormerConversationRow>(shared.formerConversationsOfSql('$1', '$2', '$3'), [
    userId,
    after,
    limit,
  ]);
  const cut = cutConversationPage(current, former, page);
  const last = cut.ids.at(-1);
  if (last === undefined || cut.current.length === 0) return toConversationPage(cut, [], new Map());
  const { rows: members } = await tx.query<MemberRow>(shared.membersOfConversationsOfSql('$1', '$2', '$3'), [
    userId,
    after,
    last,
  ]);
  // Kept by blocks: in direct conversations, and in groups by those who blocked the reader.
  const { rows: frozen } = await tx.query<FrozenRow>(
    `${shared.frozenWatermarksForSql('$1', '$2', '$3')}
     UNION ALL ${shared.groupFrozenWatermarksForSql('$1', { after: '$2', last: '$3' })}`,
    [userId, after, last],
  );
  return toConversationPage(cut, members, toFrozenWatermarks(frozen));
}
