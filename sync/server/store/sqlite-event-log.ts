import type { ConversationEvent } from '../../protocol/frames.js';
import type { AppendFacts } from './append-rules.js';
import type { Period } from './event-visibility.js';
import { toEvent, toEventRow, type EventRow } from './sqlite-rows.js';
import { blockedPeerIn } from './sqlite-settings.js';
import type { Statements } from './sqlite-statements.js';

/**
 * What every append to a conversation's log does in SQLite (sqlite-envelopes.ts, sqlite-membership.ts).
 * Each function must run inside one write transaction (the store wraps them): the facts the rules
 * judge (append-rules.ts), the sequence number and the insert commit together or not at all.
 */

/**
 * Who an event is hidden from for good: the other person of a direct conversation (events.hidden_from),
 * or members of a group (hidden_events).
 */
export interface Hidden {
  hiddenFrom: string | null;
  hiddenMembers: string[];
}

/**
 * Who what `senderId` stores now is hidden from by blocks: in a direct conversation, the other
 * person when a block stands between them; in a group, the members who have blocked the sender.
 */
export function hiddenByBlocksIn(s: Statements, conversationId: string, senderId: string): Hidden {
  const hiddenFrom = blockedPeerIn(s, conversationId, senderId);
  const hiddenMembers = hiddenFrom === null ? (s.groupBlockers.all({ conversationId, userId: senderId }) as string[]) : [];
  return { hiddenFrom, hiddenMembers };
}

/** Stores the event, with who it is hidden from. */
export function insertHidden(s: Statements, event: ConversationEvent, hidden: Hidden): void {
  s.insertEvent.run({ ...toEventRow(event), hidden_from: hidden.hiddenFrom });
  for (const userId of hidden.hiddenMembers) s.hideEvent.run(event.conversationId, event.seq, userId);
}

function isHiddenFrom(hidden: Hidden, userId: string): boolean {
  return hidden.hiddenFrom === userId || hidden.hiddenMembers.includes(userId);
}

/** Who hears of a new event: the members, but never those it is hidden from. */
export function recipients(s: Statements, conversationId: string, hidden: Hidden): string[] {
  return memberIds(s, conversationId).filter((id) => !isHiddenFrom(hidden, id));
}

/** The sender's earlier use of the client id and their membership: what every append is judged on first. */
export function appendFactsIn(s: Statements, conversationId: string, senderId: string, clientId: string): AppendFacts {
  const earlier = s.eventByClientId.get(senderId, clientId) as EventRow | undefined;
  return { earlier: earlier ? toEvent(earlier) : null, isMember: s.membership.get(conversationId, senderId) !== undefined };
}

export function periodsIn(s: Statements, conversationId: string, userId: string): Period[] {
  return s.periodsOf.all(conversationId, userId) as Period[];
}

/**
 * The counter moves in the same transaction as the insert: a failed insert rolls it back, so a
 * number is never skipped and never handed out twice.
 */
export function nextSeq(s: Statements, conversationId: string): number {
  return (s.nextSeq.get(conversationId) as { last_seq: number }).last_seq;
}

export function memberIds(s: Statements, conversationId: string): string[] {
  return (s.memberIdsOf.all(conversationId) as { user_id: string }[]).map((row) => row.user_id);
}
