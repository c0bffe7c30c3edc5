import { AppApiError, type AppApiArgs } from '../app-api/contract.js';
import type { User } from '../protocol/frames.js';
import type { Mirror } from './mirror/mirror.js';
import type { PersonalSettings } from './personal-settings.js';

export type RequestAnswerChoice = AppApiArgs<'answerRequest'>['answer'];

export interface RequestAnswerDeps {
  mirror: Mirror;
  settings: PersonalSettings;
  self: User;
  /** Queues leaving the group (inside the caller's transaction). */
  leaveGroup(conversationId: string): void;
}

/**
 * "Accept", "Delete" or "Block" on a message request (protocol/request-rules.ts), as one local
 * write: the answer (and the block) are registers the settings sync sends, leaving a group is
 * queued like any group change. Anything but an open request is refused, so a stale button cannot
 * delete an ordinary conversation.
 */
export function answerRequest(deps: RequestAnswerDeps, conversationId: string, choice: RequestAnswerChoice): void {
  const { mirror, settings } = deps;
  if (mirror.settings.requestStanding(conversationId) !== 'request') {
    throw new AppApiError('conflict', 'That conversation is not a message request.');
  }
  if (choice === 'accept') {
    settings.answerRequest(conversationId, 'accepted');
    return;
  }
  const from = mirror.settings.requestFrom(conversationId);
  mirror.transaction(() => {
    if (choice === 'block' && from !== null) settings.setBlocked(deps.self, from, true);
    settings.answerRequest(conversationId, 'deleted');
    const isGroup = mirror.peerOf(conversationId) === null;
    if (isGroup && mirror.isMember(conversationId)) deps.leaveGroup(conversationId);
  });
}
