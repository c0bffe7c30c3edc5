/**
 * Who may ring whom, as this device's mirror says (calls/call-driver.ts: CallFacts): the other
 * person of a direct conversation, a group's members, whether it waits as a message request, who
 * is blocked.
 */
import type { Mirror } from '../mirror/mirror.js';
import type { CallFacts } from './call-driver.js';

export function mirrorCallFacts(mirror: Mirror): CallFacts {
  return {
    direct: (conversationId) => mirror.directStanding(conversationId),
    peerOf: (conversationId) => mirror.peerOf(conversationId),
    isRequest: (conversationId) => mirror.settings.requestStanding(conversationId) !== 'none',
    isBlocked: (userId) => mirror.settings.isBlocked(userId),
    user: (userId) => mirror.user(userId),
    groupMembers: (conversationId) =>
      mirror.peerOf(conversationId) === null && mirror.isMember(conversationId)
        ? mirror.members(conversationId).map((member) => member.userId)
        : null,
  };
}
