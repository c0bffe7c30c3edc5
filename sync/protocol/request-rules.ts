import type { GroupAdds, RequestAnswer } from './frames.js';

/**
 * Message requests and "Who can add me to groups" (Signal's and WhatsApp's model): the rules the
 * server's stores and every client share.
 *
 * - Someone is your contact when you have a direct conversation with them that you started, wrote
 *   in, or accepted as a request. Contacts are one-way: Bob being Alice's contact says nothing of
 *   Alice being Bob's.
 * - A direct conversation someone else starts with you, and a group someone adds you to who is not
 *   your contact then, arrive as a request: the server marks your membership with who it came from
 *   (Conversation.requestFrom) until you write there.
 * - Your answer is a personal setting ('request'): accepted, or deleted at the seq the conversation
 *   had then. A later message from someone else makes a deleted direct conversation a request again.
 * - With "Who can add me to groups" set to "My contacts", the server refuses an add by anyone else
 *   (cannot_add_to_groups, as for a block).
 */

/** What someone allows when they never chose. */
export const DEFAULT_GROUP_ADDS: GroupAdds = 'everyone';

/** Whether an adder may put someone in a group, given that person's setting and whether the adder is their contact. */
export function mayAddToGroups(groupAdds: GroupAdds, adderIsContact: boolean): boolean {
  return groupAdds === 'everyone' || adderIsContact;
}

/**
 * What a conversation is to its member: an ordinary one, a request waiting for an answer, or a
 * request they deleted (shown nowhere) that nothing new has come to since.
 */
export type RequestStanding = 'none' | 'request' | 'deleted';

export function requestStanding(
  requestFrom: string | null,
  answer: RequestAnswer | null,
  lastIncomingSeq: number,
): RequestStanding {
  // Deleting a group's request leaves the group, after which the server no longer says who it came
  // from: the answer alone keeps it out of sight.
  if (answer?.answer === 'deleted' && lastIncomingSeq <= answer.seq) return 'deleted';
  if (requestFrom === null || answer?.answer === 'accepted') return 'none';
  return 'request';
}
