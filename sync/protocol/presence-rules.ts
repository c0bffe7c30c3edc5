import type { ConversationEvent, OnlineVisibility } from './frames.js';

/**
 * Who may see whom online, and who hears whom typing: the rules the server enforces and the
 * simulation checks it against.
 *
 * - Presence (online, last seen) is shared between two people only when they share a conversation
 *   in which both have written (countsAsWriting), no block stands between them (settings.ts:
 *   blockedBetween), and both show when they are online. Starting a conversation with someone, or
 *   adding them to a group, lets nobody watch anybody: writing there is what agrees to it.
 * - "Show when I'm online" set to nobody hides the person's presence and last seen from everyone,
 *   and, as in WhatsApp ("if you don't share your last seen, you can't see other people's"), they
 *   see nobody's either. So the relation is symmetric: A sees B exactly when B sees A.
 * - Typing is heard only in the conversation it happens in, by members who have written there, when
 *   the typer has too, and never across a block. "Show when I'm online" does not hide it (as in
 *   WhatsApp): someone typing in a conversation is taking part in it.
 */

/** What someone shows when they never chose. */
export const DEFAULT_ONLINE_VISIBILITY: OnlineVisibility = 'everyone';

/**
 * Whether an event makes its sender someone who has written in its conversation: an envelope (the
 * server cannot tell what it holds, and sealed content is how members write), not a group's
 * membership event (the system's doing, as far as the others can tell).
 */
export function countsAsWriting(kind: ConversationEvent['kind']): boolean {
  switch (kind) {
    case 'envelope':
      return true;
    case 'group_created':
    case 'members_added':
    case 'member_removed':
    case 'member_left':
    case 'role_changed':
      return false;
  }
}

/** What the presence rule decides on, about a pair of people. */
export interface PresencePair {
  /** They share a conversation in which both have written (as members now). */
  bothWrote: boolean;
  /** A block stands between them, whoever made it. */
  blocked: boolean;
  /** Each one's "Show when I'm online". */
  shows: readonly [OnlineVisibility, OnlineVisibility];
}

/** Whether the two see each other's presence and last seen (the same answer both ways). */
export function sharesPresence(pair: PresencePair): boolean {
  return pair.bothWrote && !pair.blocked && pair.shows.every((visibility) => visibility === 'everyone');
}

/** Whether a member of a conversation hears that another member is typing there. */
export function hearsTyping(facts: { typerWrote: boolean; readerWrote: boolean; blocked: boolean }): boolean {
  return facts.typerWrote && facts.readerWrote && !facts.blocked;
}
