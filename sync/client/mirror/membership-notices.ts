/**
 * Membership as of a seq, read from the membership notices this device holds (one fold, for the
 * content rules' "role as of seq" and for who may be sent again what an envelope said). The
 * notices are whole only while this device's person was a member: catch-up skips what came while
 * they were away (docs/protocol.md §7), so what they say of others before a return is stale.
 */
import { z } from 'zod';
import type { Role } from '../../protocol/frames.js';
import { NOTICE_EVENT_SCHEMAS } from '../../content/opened-events.js';
import { cachedStatement, type Db } from '../../node/sqlite.js';

/** The membership events the notices table holds (beside notices this device made, which name no role). */
const membershipNoticeSchema = z.discriminatedUnion('kind', [...NOTICE_EVENT_SCHEMAS]);

/** What one notice made of one person it names: their role after it (null: not a member), and whether it brought them in. */
interface Standing {
  seq: number;
  userId: string;
  role: Role | null;
  joined: boolean;
}

/** What each membership notice before `beforeSeq` made of each person it names, in seq order. */
function standings(db: Db, conversationId: string, beforeSeq = Number.MAX_SAFE_INTEGER): Standing[] {
  const rows = cachedStatement(db, 'SELECT seq, event FROM notices WHERE conversation_id = ? AND seq < ? ORDER BY seq').all(
    conversationId,
    beforeSeq,
  ) as { seq: number; event: string }[];
  return rows.flatMap(({ seq, event: json }): Standing[] => {
    const event = membershipNoticeSchema.safeParse(JSON.parse(json));
    if (!event.success) return [];
    const notice = event.data;
    switch (notice.kind) {
      case 'group_created':
        return notice.members.map((member) => ({ seq, userId: member.id, role: member.role, joined: true }));
      case 'members_added':
        return notice.members.map((member) => ({ seq, userId: member.id, role: 'member', joined: true }));
      case 'role_changed':
        return [{ seq, userId: notice.userId, role: notice.role, joined: false }];
      case 'member_removed':
        return [{ seq, userId: notice.userId, role: null, joined: false }];
      case 'member_left':
        return [
          { seq, userId: notice.senderId, role: null, joined: false },
          ...(notice.newOwnerId ? [{ seq, userId: notice.newOwnerId, role: 'owner' as const, joined: false }] : []),
        ];
      case 'group_renamed':
        return [];
    }
  });
}

/**
 * Someone's role just before `seq` by the membership notices this device holds (null when none
 * names them: they joined before what this person may see).
 */
export function roleFromNotices(db: Db, conversationId: string, userId: string, seq: number): Role | null {
  const last = standings(db, conversationId, seq)
    .filter((standing) => standing.userId === userId)
    .at(-1);
  return last ? (last.role ?? 'member') : null;
}

/**
 * Whether `userId`, a member now, was one at `seq`, where this device's person `selfId` was one.
 * Only the notices of self's stay around `seq` tell: the last naming them before `seq`; else the
 * first after it, unless that brought them in; else none names them there, and they were one
 * throughout unless self was away since (then nothing tells, and the answer is no).
 */
export function memberAtSeq(db: Db, conversationId: string, userId: string, selfId: string, seq: number): boolean {
  const all = standings(db, conversationId);
  const own = all.filter((standing) => standing.userId === selfId);
  const from = own.filter((standing) => standing.seq <= seq && standing.joined).at(-1)?.seq ?? 0;
  const until = own.find((standing) => standing.seq > seq && standing.role === null)?.seq ?? null;
  const theirs = all.filter(
    (standing) => standing.userId === userId && standing.seq >= from && (until === null || standing.seq < until),
  );
  const before = theirs.filter((standing) => standing.seq < seq).at(-1);
  if (before) return before.role !== null;
  const after = theirs.find((standing) => standing.seq > seq);
  if (after) return !after.joined;
  return until === null;
}
