import { z } from 'zod';
import type { ConversationInfo, FailedGroupChangeView, MemberView, MessageInfo, NoticeView } from '../../app-api/contract.js';
import { peopleNamedIn, type ConversationKind, type Role, type User } from '../../protocol/frames.js';
import {
  callEndedEventSchema,
  disappearingPolicySetEventSchema,
  disappearingTimerSetEventSchema,
  NOTICE_EVENT_SCHEMAS,
} from '../../content/opened-events.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';
import { safetyNumberChangedNoticeSchema } from './identity-trust.js';
import { undecryptableNoticeSchema } from './resend-requests.js';
import type { OutboxStore, QueuedGroupChange } from './outbox-store.js';
import { disappearingSettingOf } from './disappearing.js';
import { mayChangeTimer } from '../../content/disappearing.js';
import { mayManageMembers } from '../../protocol/rules.js';

/** What the renderer reads about groups: notices, members with roles, ticks and message info. */

const noticeSchema = z.discriminatedUnion('kind', [
  ...NOTICE_EVENT_SCHEMAS,
  callEndedEventSchema,
  safetyNumberChangedNoticeSchema,
  undecryptableNoticeSchema,
  disappearingTimerSetEventSchema,
  disappearingPolicySetEventSchema,
]);

/** The notices (membership events, calls' entries, changes of safety number this device noticed, envelopes it could not open) with seq in [fromSeq, beforeSeq), oldest first. */
export function noticesBetween(db: Db, conversationId: string, fromSeq: number, beforeSeq: number, selfId: string): NoticeView[] {
  const rows = cachedStatement(
    db,
    'SELECT event FROM notices WHERE conversation_id = ? AND seq >= ? AND seq < ? ORDER BY seq',
  ).all(conversationId, fromSeq, beforeSeq) as { event: string }[];
  if (rows.length === 0) return [];
  const events = rows.map((row) => {
    // Stored by this mirror from validated frames; checked again rather than taken on trust.
    const parsed = noticeSchema.safeParse(JSON.parse(row.event));
    if (!parsed.success) throw new Error(`A notice in the mirror is malformed: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  });
  const named = (event: (typeof events)[number]) =>
    event.kind === 'safety_number_changed' ||
    event.kind === 'undecryptable' ||
    event.kind === 'group_renamed' ||
    event.kind === 'call_ended' ||
    event.kind === 'disappearing_timer_set' ||
    event.kind === 'disappearing_policy_set'
      ? []
      : peopleNamedIn(event);
  const users = usersById(
    db,
    events.flatMap((event) => [event.senderId, ...named(event)]),
  );
  const user = (id: string): User => users.get(id) ?? { id, username: '', displayName: '' };
  return events.map((event) => ({
    seq: event.seq,
    at: event.sentAt,
    kind: event.kind,
    actor: user(event.senderId),
    subjects: named(event).map(user),
    name: event.kind === 'group_created' || event.kind === 'group_renamed' ? event.name : null,
    role: event.kind === 'role_changed' ? event.role : null,
    ...(event.kind === 'call_ended'
      ? {
          call: {
            callId: event.callId,
            media: event.media,
            outcome: event.outcome,
            durationMs: event.durationMs,
            outgoing: event.senderId === selfId,
          },
        }
      : {}),
    ...(event.kind === 'disappearing_timer_set' ? { timerMs: event.timerMs } : {}),
    ...(event.kind === 'disappearing_policy_set' ? { everyone: event.everyone } : {}),
  }));
}

function usersById(db: Db, ids: string[]): Map<string, User> {
  const rows = cachedStatement(
    db,
    'SELECT id, username, display_name FROM users WHERE id IN (SELECT value FROM json_each(?))',
  ).all(JSON.stringify([...new Set(ids)])) as { id: string; username: string; display_name: string }[];
  return new Map(rows.map((row) => [row.id, { id: row.id, username: row.username, displayName: row.display_name }]));
}

/**
 * The lowest delivered and read watermarks among the other current members: a message is
 * delivered (read) once it is at or below them. null when nobody else is in the conversation.
 */
export function othersWatermarks(db: Db, conversationId: string, selfId: string): { delivered: number; read: number } | null {
  const row = cachedStatement(
    db,
    `SELECT COUNT(*) AS n, MIN(delivered_seq) AS delivered, MIN(read_seq) AS read FROM members
     WHERE conversation_id = ? AND user_id != ? AND active = 1`,
  ).get(conversationId, selfId) as { n: number; delivered: number | null; read: number | null };
  return row.n === 0 ? null : { delivered: row.delivered ?? 0, read: row.read ?? 0 };
}

/** Who has read, and who has only received, one message (other members who were there for it). */
export function messageInfo(db: Db, conversationId: string, seq: number | null, selfId: string): MessageInfo {
  if (seq === null) return { readBy: [], deliveredTo: [] };
  const rows = cachedStatement(
    db,
    `SELECT u.id, u.username, u.display_name, m.delivered_seq, m.read_seq FROM members m JOIN users u ON u.id = m.user_id
     WHERE m.conversation_id = ? AND m.user_id != ? AND m.active = 1 AND m.joined_seq <= ?
     ORDER BY m.join_order, m.user_id`,
  ).all(conversationId, selfId, seq) as {
    id: string;
    username: string;
    display_name: string;
    delivered_seq: number;
    read_seq: number;
  }[];
  const user = (row: (typeof rows)[number]): User => ({ id: row.id, username: row.username, displayName: row.display_name });
  return {
    readBy: rows.filter((row) => row.read_seq >= seq).map(user),
    deliveredTo: rows.filter((row) => row.read_seq < seq && row.delivered_seq >= seq).map(user),
  };
}

/**
 * Members, roles and name with our queued changes laid over the acknowledged state, so what a
 * person did offline shows at once; refused ones are listed to retry or dismiss.
 */
export function conversationInfo(
  db: Db,
  outbox: OutboxStore,
  conversationId: string,
  selfId: string,
  isOnline: (userId: string) => boolean,
): ConversationInfo | null {
  const conversation = cachedStatement(db, 'SELECT kind, name, is_member FROM conversations WHERE id = ?').get(conversationId) as
    { kind: ConversationKind; name: string | null; is_member: number } | undefined;
  if (!conversation) return null;
  const rows = cachedStatement(
    db,
    `SELECT u.id, u.username, u.display_name, m.role FROM members m JOIN users u ON u.id = m.user_id
     WHERE m.conversation_id = ? AND m.active = 1 ORDER BY m.join_order, m.user_id`,
  ).all(conversationId) as { id: string; username: string; display_name: string; role: Role }[];
  const members = new Map<string, MemberView>(
    rows.map((row) => [
      row.id,
      {
        user: { id: row.id, username: row.username, displayName: row.display_name },
        role: row.role,
        online: isOnline(row.id),
        you: row.id === selfId,
        pending: false,
      },
    ]),
  );
  let name = conversation.name;
  const failedChanges: FailedGroupChangeView[] = [];
  const queued = outbox.queuedGroupChanges(conversationId);
  const newcomers = usersById(
    db,
    queued.flatMap((entry) => peopleAddedBy(entry.change)),
  );
  for (const entry of queued) {
    // A group made here goes by the name it was made with until the log names it, refused or not.
    if (entry.change.kind === 'create' && entry.change.conversation.kind === 'group')
      name ??= entry.change.conversation.name ?? null;
    if (entry.status === 'failed') {
      const people = peopleAddedBy(entry.change).map((userId) => newcomers.get(userId)?.displayName ?? userId);
      failedChanges.push({ changeId: entry.clientId, kind: entry.change.kind, error: entry.error ?? '', people });
      continue;
    }
    name = overlay(entry, members, newcomers, selfId, isOnline) ?? name;
  }
  const self = members.get(selfId);
  const isMember = conversation.is_member === 1 && self !== undefined;
  const setting = disappearingSettingOf(db, outbox, conversationId);
  const standing = {
    role: self?.role ?? 'member',
    conversationKind: conversation.kind,
    everyoneMaySetTimer: setting.everyoneMaySet,
  };
  return {
    id: conversationId,
    kind: conversation.kind,
    name: conversation.kind === 'group' ? name : null,
    isMember,
    role: self?.role ?? null,
    members: [...members.values()],
    failedChanges,
    disappearing: {
      timerMs: setting.timerMs,
      everyoneMaySet: conversation.kind === 'direct' || setting.everyoneMaySet,
      mayChange: isMember && mayChangeTimer(standing),
      mayChangePolicy: isMember && conversation.kind === 'group' && mayManageMembers(standing.role),
    },
  };
}

/** The people a queued creation or addition puts in the group (besides us). */
function peopleAddedBy(change: QueuedGroupChange['change']): string[] {
  if (change.kind === 'add_members') return change.userIds;
  if (change.kind === 'create' && change.conversation.kind === 'group') return change.conversation.memberIds;
  return [];
}

/** Lays one queued change over the members; returns the new name for a rename. */
function overlay(
  entry: QueuedGroupChange,
  members: Map<string, MemberView>,
  users: Map<string, User>,
  selfId: string,
  isOnline: (userId: string) => boolean,
): string | null {
  const { change } = entry;
  switch (change.kind) {
    case 'create':
      return null;
    case 'add_members':
      for (const userId of change.userIds) {
        const user = users.get(userId);
        if (user && !members.has(userId)) {
          members.set(userId, { user, role: 'member', online: isOnline(userId), you: false, pending: true });
        }
      }
      return null;
    case 'remove_member':
      members.delete(change.userId);
      return null;
    case 'leave':
      members.delete(selfId);
      return null;
    case 'rename':
      return change.name;
    case 'set_role': {
      const member = members.get(change.userId);
      if (member) members.set(change.userId, { ...member, role: change.role, pending: true });
      return null;
    }
  }
}
