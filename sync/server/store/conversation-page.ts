import type { Conversation, Member } from '../../protocol/frames.js';
import { withFrozen, type FrozenWatermarks } from './event-visibility.js';
import type { ConversationPage, ConversationPageRequest } from './server-store.js';
import {
  toConversation,
  toFormerConversation,
  toMember,
  type ConversationRow,
  type MemberConversationRow,
  type MemberRow,
} from './store-rows.js';

/**
 * One page of ServerStore.listConversationsOf, for every store: both read the candidates after the
 * cursor (shared-sql.ts), this decides which of them make the page, and only that page's members
 * are read. Anyone can put anyone into full groups, so a page is bounded by its members too.
 */

/** A conversation the user is in, with how many members it has (shared-sql.ts: conversationsOfSql). */
export type CurrentConversationRow = MemberConversationRow & { member_count: number };
/** A group the user was in (shared-sql.ts: formerConversationsOfSql). */
export type FormerConversationRow = ConversationRow & { last_visible_seq: number };

export interface PageCut {
  /** The page's conversation ids, in order. */
  ids: string[];
  current: CurrentConversationRow[];
  former: FormerConversationRow[];
  more: boolean;
}

/** The cursor before every conversation id (ids are never empty). */
export const BEFORE_FIRST = '';

/** How many candidates of each kind a store reads: one more than a page, to know whether more follow. */
export function candidatesFor(request: ConversationPageRequest): number {
  return request.limit + 1;
}

/**
 * Which candidates make the page: in id order, up to `limit` of them, and no more members than
 * `maxMembers` (the first always, whatever its size). Ids compare as the databases compare them,
 * by UTF-8 bytes (SQLite's BINARY, PostgreSQL's "C").
 */
export function cutConversationPage(
  current: readonly CurrentConversationRow[],
  former: readonly FormerConversationRow[],
  request: ConversationPageRequest,
): PageCut {
  type Candidate = { id: string; members: number } & (
    { current: CurrentConversationRow; former?: never } | { former: FormerConversationRow; current?: never }
  );
  const candidates: Candidate[] = [
    ...current.map((row) => ({ id: row.id, members: row.member_count, current: row })),
    ...former.map((row) => ({ id: row.id, members: 0, former: row })),
  ].sort((a, b) => Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)));
  const cut: PageCut = { ids: [], current: [], former: [], more: false };
  let members = 0;
  for (const candidate of candidates) {
    const full = cut.ids.length >= request.limit;
    if (full || (cut.ids.length > 0 && members + candidate.members > request.maxMembers)) {
      cut.more = true;
      break;
    }
    members += candidate.members;
    if (candidate.current) cut.current.push(candidate.current);
    else if (candidate.former) cut.former.push(candidate.former);
    cut.ids.push(candidate.id);
  }
  return cut;
}

/** The page as the user sees it, from the cut and its members' rows (and their frozen watermarks). */
export function toConversationPage(cut: PageCut, memberRows: readonly MemberRow[], frozen: FrozenWatermarks): ConversationPage {
  const members = new Map<string, Member[]>();
  for (const row of memberRows) {
    const list = members.get(row.conversation_id) ?? [];
    list.push(toMember(row));
    members.set(row.conversation_id, list);
  }
  const seen = new Map<string, Conversation>();
  for (const row of cut.current) seen.set(row.id, toConversation(row, withFrozen(members.get(row.id) ?? [], frozen.get(row.id))));
  for (const row of cut.former) seen.set(row.id, toFormerConversation(row, row.last_visible_seq));
  return { conversations: cut.ids.map((id) => seen.get(id)!), more: cut.more };
}
