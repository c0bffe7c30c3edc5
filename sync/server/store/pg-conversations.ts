import type { Conversation } from '../../protocol/frames.js';
import type { Session } from './pg-connections.js';
import { toFrozenWatermarks, withFrozen } from './event-visibility.js';
import * as shared from './shared-sql.js';
import {
  toConversation,
  toConversationList,
  toMember,
  type ConversationRow,
  type MemberConversationRow,
  type MemberRow,
} from './store-rows.js';

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
     UNION ALL ${shared.groupFrozenWatermarksForSql('$2', '$1')}`,
    [conversationId, userId],
  );
  return toConversation(row, withFrozen(members.map(toMember), toFrozenWatermarks(frozen).get(conversationId)));
}

export async function conversationsOfWith(tx: Session, userId: string): Promise<Conversation[]> {
  const { rows } = await tx.query<MemberConversationRow>(shared.conversationsOfSql('$1'), [userId]);
  const { rows: members } = await tx.query<MemberRow>(shared.membersOfConversationsOfSql('$1'), [userId]);
  const { rows: former } = await tx.query<ConversationRow & { last_visible_seq: number }>(shared.formerConversationsOfSql('$1'), [
    userId,
  ]);
  const { rows: frozen } = await tx.query<FrozenRow>(
    `${shared.frozenWatermarksForSql('$1')} UNION ALL ${shared.groupFrozenWatermarksForSql('$1')}`,
    [userId],
  );
  return toConversationList(rows, members, former, toFrozenWatermarks(frozen));
}
