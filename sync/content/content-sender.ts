/**
 * Who sent content and why it may be dropped, as the content rules (rules.ts) and every kind
 * module (kinds/) judge it: kept apart so that the kind modules and the rules built from them do
 * not import each other.
 */
import type { ConversationKind, Role } from '../protocol/frames.js';
import type { RefusalReason } from '../protocol/refusal-reasons.js';

/** Who sent the content, as the receiving device knows them when it applies it. */
export interface ContentSender {
  id: string;
  /** Their role in the conversation (both people of a direct conversation are members). */
  role: Role;
  conversationKind: ConversationKind;
  /**
   * A group lets every member set the disappearing-message timer (as of the content's seq). Read
   * only for a timer (disappearing.ts); absent, only the owner and admins may.
   */
  everyoneMaySetTimer?: boolean;
}

/** Why every receiving device drops content (a change to a message, a rename, a vote…). */
export type ContentRefusal = Extract<
  RefusalReason,
  'no_such_message' | 'not_author' | 'message_deleted' | 'already_deleted' | 'too_many_reactions' | 'not_allowed'
>;
