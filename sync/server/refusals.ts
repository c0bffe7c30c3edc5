import type { ErrorCode } from '../protocol/frames.js';
import { LIMITS } from '../protocol/limits.js';
import type { ChangeRefusal } from './store/change-rules.js';

/**
 * Every refusal the sync socket answers for a well-formed frame, with its code and the message
 * shown to the person. All are permanent (see isPermanentError): retrying the same frame cannot help.
 */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

export const REFUSALS = {
  /** One message for "does not exist" and "not yours": a stranger must not learn which ids are real. */
  conversationNotFound: { code: 'not_found', message: 'Conversation not found' },
  clientIdReused: {
    code: 'invalid',
    message: 'This client id was already used for a different message or change',
  },
  messageIdTaken: {
    code: 'conflict',
    message: 'Another message in this conversation already has this clientMessageId',
  },
  replyTargetMissing: { code: 'invalid', message: 'The message you replied to does not exist' },
  startWithYourself: { code: 'invalid', message: 'You cannot start a conversation with yourself' },
} as const satisfies Record<string, Refusal>;

/** How each refused change is answered; a Record so that a new rule cannot go unanswered. */
export const CHANGE_REFUSALS: Record<ChangeRefusal, Refusal> = {
  no_such_message: { code: 'invalid', message: 'No such message in this conversation' },
  not_author: { code: 'forbidden', message: 'Only the author can edit/delete a message' },
  message_deleted: { code: 'invalid', message: 'This message was deleted' },
  already_deleted: { code: 'invalid', message: 'This message was already deleted' },
  too_many_reactions: {
    code: 'invalid',
    message: `At most ${LIMITS.maxReactionsPerPerson} different reactions per person on one message`,
  },
};
