import type { Conversation, Role, User } from '../../protocol/frames.js';
import type { NoticeEvent } from '../../content/opened-events.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';

/**
 * Who is in a conversation, their roles and its name, as the mirror keeps them. Membership is
 * history: each membership event carries a seq, and role, active and name are last-writer-wins
 * by it, so events applied in any order, and the server's snapshots (the state as of a
 * conversation's lastSeq), all converge on the same member list.
 */

export function upsertUser(db: Db, user: User): void {
  cachedStatement(
    db,
    `INSERT INTO users (id, username, display_name) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name`,
  ).run(user.id, user.username, user.displayName);
}

interface MemberChange {
  conversationId: string;
  userId: string;
  seq: number;
  /** null: unchanged. */
  role: Role | null;
  active: boolean | null;
  /** Set when this change (re)adds them: the seq of the event, for "joined after this message". */
  joinedSeq: number | null;
}

/** Applies one member's change if it is newer than what the mirror holds of them. */
function setMember(db: Db, change: MemberChange, strict: boolean): void {
  const newer = strict ? 'excluded.membership_seq > members.membership_seq' : 'excluded.membership_seq >= members.membership_seq';
  cachedStatement(
    db,
    `INSERT INTO members (conversation_id, user_id, role, active, membership_seq, joined_seq, join_order, delivered_seq, read_seq)
     VALUES (@conversationId, @userId, COALESCE(@role, 'member'), COALESCE(@active, 1), @seq, COALESCE(@joinedSeq, 0),
             (SELECT COALESCE(MAX(join_order), -1) + 1 FROM members WHERE conversation_id = @conversationId), 0, 0)
     ON CONFLICT (conversation_id, user_id) DO UPDATE SET
       role = CASE WHEN ${newer} THEN COALESCE(@role, members.role) ELSE members.role END,
       active = CASE WHEN ${newer} THEN COALESCE(@active, members.active) ELSE members.active END,
       -- Re-added after leaving: listed after those who stayed.
       join_order = CASE WHEN ${newer} AND @active = 1 AND members.active = 0 THEN excluded.join_order ELSE members.join_order END,
       membership_seq = CASE WHEN ${newer} THEN excluded.membership_seq ELSE members.membership_seq END,
       joined_seq = MAX(members.joined_seq, excluded.joined_seq)`,
  ).run({
    conversationId: change.conversationId,
    userId: change.userId,
    seq: change.seq,
    role: change.role,
    active: change.active === null ? null : change.active ? 1 : 0,
    joinedSeq: change.joinedSeq,
  });
}

/**
 * A membership event: its notice, and what it does to the members and the name. An event at or
 * before the conversation's last member snapshot changes no member: the snapshot already holds its
 * outcome, and may lack someone who joined and left while this person was away (an event they
 * never see), whom the older event would otherwise bring back.
 */
export function applyMembershipEvent(db: Db, event: NoticeEvent): void {
  if (isNotice(db, event)) {
    cachedStatement(db, 'INSERT OR IGNORE INTO notices (conversation_id, seq, event) VALUES (?, ?, ?)').run(
      event.conversationId,
      event.seq,
      JSON.stringify(event),
    );
  } else if (event.kind === 'group_renamed') {
    // The group's first name, given by its creator behind the creation: "created the group “…”".
    cachedStatement(
      db,
      `UPDATE notices SET event = json_set(event, '$.name', ?)
       WHERE conversation_id = ? AND json_extract(event, '$.kind') = 'group_created'
         AND json_extract(event, '$.name') IS NULL AND json_extract(event, '$.senderId') = ?`,
    ).run(event.name, event.conversationId, event.senderId);
  }
  const { conversationId, seq } = event;
  const snapshotSeq =
    (
      cachedStatement(db, 'SELECT members_seq FROM conversations WHERE id = ?').get(conversationId) as
        { members_seq: number } | undefined
    )?.members_seq ?? 0;
  const superseded = seq <= snapshotSeq;
  const member = (userId: string, role: Role | null, active: boolean | null, joinedSeq: number | null = null) => {
    if (!superseded) setMember(db, { conversationId, userId, seq, role, active, joinedSeq }, true);
    else if (joinedSeq !== null) raiseJoinedSeq(db, conversationId, userId, joinedSeq);
  };
  switch (event.kind) {
    case 'group_created':
      if (event.name !== null) setName(db, conversationId, event.name, seq, true);
      for (const created of event.members) {
        upsertUser(db, created);
        member(created.id, created.role, true, seq);
      }
      break;
    case 'members_added':
      for (const added of event.members) {
        upsertUser(db, added);
        member(added.id, 'member', true, seq);
        // As the server has it: a newcomer has seen all there was before them (their receipts may
        // never come, for a message request they do not accept).
        cachedStatement(
          db,
          `UPDATE members SET delivered_seq = MAX(delivered_seq, @seen), read_seq = MAX(read_seq, @seen)
           WHERE conversation_id = @conversationId AND user_id = @userId`,
        ).run({ seen: seq - 1, conversationId, userId: added.id });
      }
      break;
    case 'member_removed':
      member(event.userId, null, false);
      break;
    case 'member_left':
      member(event.senderId, null, false);
      if (event.newOwnerId) member(event.newOwnerId, 'owner', null);
      break;
    case 'group_renamed':
      setName(db, conversationId, event.name, seq, true);
      break;
    case 'role_changed':
      member(event.userId, event.role, null);
      break;
  }
}

/**
 * Whether an event shows as a notice. A rename does only when it changes a name the group had: a
 * group's name follows its creation (sealed, the server not told), and is sealed again behind each
 * addition for those added, which tells the others nothing new.
 */
function isNotice(db: Db, event: NoticeEvent): boolean {
  if (event.kind !== 'group_renamed') return true;
  const current = (
    cachedStatement(db, 'SELECT name FROM conversations WHERE id = ?').get(event.conversationId) as
      { name: string | null } | undefined
  )?.name;
  return current !== null && current !== undefined && current !== event.name;
}

/**
 * What the server says a conversation is as of its lastSeq. A current member gets the whole
 * member list: whoever is missing from it left by then. A former member gets nothing but that
 * they are one (the seq of their removal is lastSeq).
 */
export function applySnapshot(db: Db, conversation: Conversation, selfId: string): void {
  const { id: conversationId, lastSeq: seq } = conversation;
  if (!conversation.isMember) {
    setMember(db, { conversationId, userId: selfId, seq, role: null, active: false, joinedSeq: null }, false);
    return;
  }
  // Only a group with no name here takes the server's: a name sealed as content is newer than
  // anything the server was told in the clear, whatever seq it came at.
  if (conversation.name !== null) setNameIfNone(db, conversationId, conversation.name, seq);
  // Only a member hears who a request came from; a former one keeps what it had (request-standing.ts).
  cachedStatement(db, 'UPDATE conversations SET members_seq = MAX(members_seq, ?), request_from = ? WHERE id = ?').run(
    seq,
    conversation.requestFrom ?? null,
    conversationId,
  );
  conversation.members.forEach((member, index) => {
    upsertUser(db, member);
    setMember(db, { conversationId, userId: member.id, seq, role: member.role, active: true, joinedSeq: null }, false);
    cachedStatement(
      db,
      'UPDATE members SET join_order = ? WHERE conversation_id = ? AND user_id = ? AND membership_seq <= ?',
    ).run(index, conversationId, member.id, seq);
  });
  cachedStatement(
    db,
    `UPDATE members SET active = 0, membership_seq = @seq
     WHERE conversation_id = @conversationId AND active = 1 AND membership_seq <= @seq
       AND user_id NOT IN (SELECT value FROM json_each(@present))`,
  ).run({ conversationId, seq, present: JSON.stringify(conversation.members.map((member) => member.id)) });
}

/** When a member (already known from a snapshot) joined: for "who was there for this message". */
function raiseJoinedSeq(db: Db, conversationId: string, userId: string, joinedSeq: number): void {
  cachedStatement(db, 'UPDATE members SET joined_seq = MAX(joined_seq, ?) WHERE conversation_id = ? AND user_id = ?').run(
    joinedSeq,
    conversationId,
    userId,
  );
}

function setName(db: Db, conversationId: string, name: string, seq: number, strict: boolean): void {
  cachedStatement(
    db,
    `UPDATE conversations SET name = ?, name_seq = ? WHERE id = ? AND (name_seq ${strict ? '<' : '<='} ? OR name IS NULL)`,
  ).run(name, seq, conversationId, seq);
}

function setNameIfNone(db: Db, conversationId: string, name: string, seq: number): void {
  cachedStatement(db, 'UPDATE conversations SET name = ?, name_seq = ? WHERE id = ? AND name IS NULL').run(
    name,
    seq,
    conversationId,
  );
}

/** Keeps the conversation row's member count and our own standing in step with the members. */
export function refreshMembership(db: Db, conversationId: string, selfId: string): void {
  cachedStatement(
    db,
    `UPDATE conversations SET
       member_count = (SELECT COUNT(*) FROM members WHERE conversation_id = @id AND active = 1),
       is_member = EXISTS (SELECT 1 FROM members WHERE conversation_id = @id AND user_id = @self AND active = 1)
     WHERE id = @id`,
  ).run({ id: conversationId, self: selfId });
}

/** Members for a conversation made here, before the server has heard of it. */
export function addLocalMembers(db: Db, conversationId: string, members: { user: User; role: Role }[]): void {
  for (const { user, role } of members) {
    upsertUser(db, user);
    setMember(db, { conversationId, userId: user.id, seq: 0, role, active: true, joinedSeq: null }, false);
  }
}
