import type { ConversationKind, NewConversation, Role, User } from '../../protocol/frames.js';
import type { Session } from './pg-connections.js';
import { refused } from './append-rules.js';
import { capWindowStart, refuseMemberAdditions, refuseNewConversation } from './cap-rules.js';
import {
  answerTakenGroupId,
  groupCreatedEvent,
  judgeGroupChange,
  planNewGroup,
  refuseDirect,
  type AddFacts,
} from './membership-rules.js';
import { earlierEventJson, insertEvent, lockConversation, seqAfter } from './pg-queries.js';
import { blockedWithSql, treatAsContactSql } from './shared-sql.js';
import { keepNewDirectFrom, revealDirectTo } from './pg-settings.js';
import {
  directPairKey,
  type CreateResult,
  type GroupChangeResult,
  type NewConversationInput,
  type NewGroupChange,
} from './server-store.js';
import { toEvent, toUser, type EventRecord, type UserRow } from './store-rows.js';

/**
 * Creating conversations and changing who is in a group, in PostgreSQL. Each function runs in one
 * READ COMMITTED transaction the store opens: the checks (membership-rules.ts), the sequence number,
 * the event, the member rows and the visibility periods commit together or not at all.
 */

export async function createConversationWith(tx: Session, input: NewConversationInput): Promise<CreateResult> {
  const { conversation } = input;
  switch (conversation.kind) {
    case 'direct':
      return createDirect(tx, input, conversation.userId);
    case 'group':
      return createGroup(tx, input, conversation);
  }
}

async function createDirect(tx: Session, input: NewConversationInput, otherId: string): Promise<CreateResult> {
  const { conversationId, creatorId } = input;
  const refusal = refuseDirect(conversationId, creatorId, otherId);
  if (refusal) return refusal;
  // Both people's rows are held (FOR SHARE, in id order like every lock on users) until this
  // commits, so a block between them that begins or is lifted (setSettings locks the same rows)
  // is decided wholly before or after this creation, never while it is half made.
  const { rows: pair } = await tx.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE', [
    [creatorId, otherId],
  ]);
  if (!pair.some((user) => user.id === otherId)) return refused('no_such_user');
  const facts = await capFacts(tx, conversationId, creatorId, input.createdAt);
  const overCap = facts.exists ? null : refuseNewConversation(input.caps, facts.created);
  if (overCap) return overCap;
  const pairKey = directPairKey(creatorId, otherId);
  // ON CONFLICT DO NOTHING: two creations racing for one id (or one pair) cannot both insert; the
  // loser waits for the winner to commit and then reads its row.
  const { rowCount } = await tx.query(
    `INSERT INTO conversations (id, kind, pair_key, created_by, created_at)
     VALUES ($1, 'direct', $2, $3, $4) ON CONFLICT DO NOTHING`,
    [conversationId, pairKey, creatorId, input.createdAt],
  );
  if (rowCount === 0) {
    // The pair's conversation exists (the other person made it first, or this is a resend): it is
    // theirs too. Anything else holding the id is another conversation.
    const { rows } = await tx.query<{ id: string }>('SELECT id FROM conversations WHERE pair_key = $1', [pairKey]);
    if (rows[0]?.id !== conversationId) return refused('conversation_id_taken');
    // Kept from them while a block stands, until they ask for it themselves.
    await revealDirectTo(tx, conversationId, creatorId);
    return { status: 'existing' };
  }
  // Started by the creator: to the other person it is a request from them (request-rules.ts).
  await addMembers(
    tx,
    conversationId,
    [
      { id: creatorId, role: 'member', requestFrom: null },
      { id: otherId, role: 'member', requestFrom: creatorId },
    ],
    1,
  );
  // Made while a block stands between the pair: the other person is not told of it.
  const keptFrom = await keepNewDirectFrom(tx, conversationId, creatorId, otherId);
  return {
    status: 'created',
    memberIds: [creatorId, otherId].filter((userId) => userId !== keptFrom),
    event: null,
    requestedIds: [otherId],
  };
}

async function createGroup(
  tx: Session,
  input: NewConversationInput,
  group: Extract<NewConversation, { kind: 'group' }>,
): Promise<CreateResult> {
  const { conversationId, creatorId } = input;
  const users = await usersByIds(tx, [creatorId, ...group.memberIds]);
  const plan = planNewGroup(input, group.memberIds, users, await addFacts(tx, creatorId, group.memberIds));
  if (plan.status === 'refused') return plan;
  const added = plan.members.length - 1;
  const facts = await capFacts(tx, conversationId, creatorId, input.createdAt);
  const overCap = facts.exists
    ? null
    : (refuseNewConversation(input.caps, facts.created) ?? refuseMemberAdditions(input.caps, facts.added, added));
  if (overCap) return overCap;
  // No name: a group's is sealed content (server-store.ts).
  const { rowCount } = await tx.query(
    `INSERT INTO conversations (id, kind, pair_key, created_by, created_at)
     VALUES ($1, 'group', NULL, $2, $3) ON CONFLICT DO NOTHING`,
    [conversationId, creatorId, input.createdAt],
  );
  if (rowCount === 0) {
    const { rows } = await tx.query<{ kind: ConversationKind; created_by: string }>(
      'SELECT kind, created_by FROM conversations WHERE id = $1',
      [conversationId],
    );
    return answerTakenGroupId(rows[0] ?? null, creatorId);
  }
  await recordAdditions(tx, creatorId, input.createdAt, added);
  // The row was inserted just now, its counter at 0: the creation is its first event.
  const event = groupCreatedEvent(input, 1, plan.members);
  await insertEvent(tx, { event, hiddenFrom: null });
  const requested = new Set(plan.requestedIds);
  await addMembers(
    tx,
    conversationId,
    plan.members.map(({ id, role }) => ({ id, role, requestFrom: requested.has(id) ? creatorId : null })),
    event.seq,
  );
  return {
    status: 'created',
    memberIds: plan.members.map((member) => member.id),
    event,
    requestedIds: plan.requestedIds,
  };
}

interface GroupChangeFactsRow {
  earlier: EventRecord | null;
  kind: ConversationKind | null;
  members: { user_id: string; role: Role; join_order: number }[];
  users: UserRow[];
}

// $1 conversation, $2 sender, $3 clientChangeId, $4 the users an addition names.
const GROUP_CHANGE_FACTS = `
  SELECT ${earlierEventJson('$2', '$3')} AS earlier,
         (SELECT kind FROM conversations WHERE id = $1) AS kind,
         (SELECT COALESCE(jsonb_agg(jsonb_build_object('user_id', user_id, 'role', role, 'join_order', join_order)
                                    ORDER BY join_order), '[]')
          FROM members WHERE conversation_id = $1) AS members,
         (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', id, 'username', username, 'display_name', display_name)), '[]')
          FROM users WHERE id = ANY($4::text[])) AS users`;

export async function appendGroupChangeWith(tx: Session, input: NewGroupChange): Promise<GroupChangeResult> {
  const { conversationId, senderId, change } = input;
  const lastSeq = await lockConversation(tx, conversationId);
  const named = change.kind === 'add_members' ? change.userIds : [];
  const { rows } = await tx.query<GroupChangeFactsRow>(GROUP_CHANGE_FACTS, [
    conversationId,
    senderId,
    input.clientChangeId,
    named,
  ]);
  const facts = rows[0] as GroupChangeFactsRow;
  const plan = judgeGroupChange(input, {
    earlier: facts.earlier && toEvent(facts.earlier),
    isMember: facts.members.some((member) => member.user_id === senderId),
    kind: facts.kind,
    members: facts.members,
    users: new Map(facts.users.map((row) => [row.id, toUser(row)])),
    ...(await addFacts(tx, senderId, named)),
  });
  if (plan.status !== 'accepted') return plan;
  if (plan.added.length > 0) {
    const facts = await capFacts(tx, conversationId, senderId, input.sentAt);
    const overCap = refuseMemberAdditions(input.caps, facts.added, plan.added.length);
    if (overCap) return overCap;
    await recordAdditions(tx, senderId, input.sentAt, plan.added.length);
  }

  const event = plan.eventAt(seqAfter(lastSeq, conversationId));
  const { removed, newRole } = plan;
  const requested = new Set(plan.requestedIds);
  await addMembers(
    tx,
    conversationId,
    plan.added.map((id) => ({ id, role: 'member' as const, requestFrom: requested.has(id) ? senderId : null })),
    event.seq,
  );
  if (removed) {
    // The member row goes; their period ends with the event that removed them (which they receive).
    await tx.query(
      `WITH gone AS (DELETE FROM members WHERE conversation_id = $1 AND user_id = $2)
       UPDATE member_periods SET to_seq = $3 WHERE conversation_id = $1 AND user_id = $2 AND to_seq IS NULL`,
      [conversationId, removed, event.seq],
    );
  }
  if (newRole) {
    await tx.query('UPDATE members SET role = $3 WHERE conversation_id = $1 AND user_id = $2', [
      conversationId,
      newRole.userId,
      newRole.role,
    ]);
  }
  await insertEvent(tx, { event, hiddenFrom: null });
  // Who hears of it: the members after it, and the person it removed.
  const stayed = facts.members.map((member) => member.user_id).filter((userId) => userId !== removed);
  return {
    status: 'stored',
    event,
    memberIds: [...stayed, ...plan.added, ...(removed ? [removed] : [])],
    addedIds: plan.added,
    requestedIds: plan.requestedIds,
  };
}

/**
 * New members, in this order: their rows (with watermarks at the event before the one that added
 * them, as nothing earlier is theirs to receive; who it is a request from, if anyone), join orders
 * handed out by the conversation's counter, and a visibility period from that event on.
 */
async function addMembers(
  tx: Session,
  conversationId: string,
  members: readonly { id: string; role: Role; requestFrom: string | null }[],
  fromSeq: number,
): Promise<void> {
  if (members.length === 0) return;
  await tx.query(
    `WITH orders AS (
       UPDATE conversations SET next_join_order = next_join_order + cardinality($2::text[]) WHERE id = $1
       RETURNING next_join_order - cardinality($2::text[]) AS first),
     added AS (
       INSERT INTO members (conversation_id, user_id, role, join_order, delivered_seq, read_seq, request_from)
       SELECT $1, joiner.user_id, joiner.role, orders.first + joiner.position - 1, $4::bigint - 1, $4::bigint - 1,
              joiner.request_from
       FROM orders, unnest($2::text[], $3::text[], $5::text[]) WITH ORDINALITY AS joiner(user_id, role, request_from, position))
     INSERT INTO member_periods (conversation_id, user_id, from_seq, to_seq) SELECT $1, unnest($2::text[]), $4::bigint, NULL`,
    [
      conversationId,
      members.map((member) => member.id),
      members.map((member) => member.role),
      fromSeq,
      members.map((member) => member.requestFrom),
    ],
  );
}

async function usersByIds(tx: Session, ids: readonly string[]): Promise<Map<string, User>> {
  const { rows } = await tx.query<UserRow>('SELECT id, username, display_name FROM users WHERE id = ANY($1::text[])', [ids]);
  return new Map(rows.map((row) => [row.id, toUser(row)]));
}

/** For the caps (cap-rules.ts): whether the conversation exists, and what `userId` created and added in the last hour. */
async function capFacts(
  tx: Session,
  conversationId: string,
  userId: string,
  now: number,
): Promise<{ exists: boolean; created: number; added: number }> {
  const { rows } = await tx.query<{ exists: boolean; created: number; added: number }>(
    `SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1) AS exists,
            (SELECT count(*) FROM conversations WHERE created_by = $2 AND created_at > $3) AS created,
            (SELECT COALESCE(sum(count), 0)::bigint FROM member_additions WHERE user_id = $2 AND added_at > $3) AS added`,
    [conversationId, userId, capWindowStart(now)],
  );
  return rows[0]!;
}

/** Counts `adding` people added by `userId` now, forgetting additions too old to count. */
async function recordAdditions(tx: Session, userId: string, now: number, adding: number): Promise<void> {
  if (adding === 0) return;
  await tx.query(
    `WITH old AS (DELETE FROM member_additions WHERE user_id = $1 AND added_at <= $3)
     INSERT INTO member_additions (user_id, added_at, count) VALUES ($1, $2, $4)`,
    [userId, now, capWindowStart(now), adding],
  );
}

/**
 * What an add by `actorId` of the `named` people is judged on (membership-rules.ts), in one read:
 * nothing to read when it names nobody.
 */
async function addFacts(tx: Session, actorId: string, named: readonly string[]): Promise<AddFacts> {
  if (named.length === 0) return { blockedWithActor: new Set(), treatActorAsContact: new Set(), groupAddsRestricted: new Set() };
  const { rows } = await tx.query<{ blocked: string[]; contacts: string[]; restricted: string[] }>(
    `SELECT ARRAY(${blockedWithSql('$1')}) AS blocked, ARRAY(${treatAsContactSql('$1')}) AS contacts,
            ARRAY(SELECT user_id FROM group_adds_restricted WHERE user_id = ANY($2::text[])) AS restricted`,
    [actorId, named],
  );
  const facts = rows[0]!;
  return {
    blockedWithActor: new Set(facts.blocked),
    treatActorAsContact: new Set(facts.contacts),
    groupAddsRestricted: new Set(facts.restricted),
  };
}
