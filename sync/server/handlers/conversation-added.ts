import type { Conversation } from '../../protocol/frames.js';
import type { Fanout } from './handler-result.js';

/**
 * conversation_added for the people `actorId` just put in a conversation, from the actor's view of
 * it: to those in `requestedIds` it is a message request from the actor, to the others an ordinary
 * conversation, whatever the actor's own view says of a request to the actor (request-rules.ts).
 * Every connection but the actor's requesting one, which has the reply.
 */
export function conversationAddedFanout(
  conversation: Conversation,
  actorId: string,
  userIds: readonly string[],
  requestedIds: readonly string[],
): Fanout[] {
  const plain: Conversation = { ...conversation };
  delete plain.requestFrom;
  const requested = new Set(requestedIds);
  const groups = [
    { userIds: userIds.filter((userId) => !requested.has(userId)), conversation: plain },
    { userIds: userIds.filter((userId) => requested.has(userId)), conversation: { ...plain, requestFrom: actorId } },
  ];
  return groups
    .filter((group) => group.userIds.length > 0)
    .map((group) => ({
      userIds: group.userIds,
      frame: { type: 'conversation_added', conversation: group.conversation },
      exceptRequester: true,
    }));
}
