import type { Change } from '../../protocol/frames.js';
import { LIMITS } from '../../protocol/limits.js';

/**
 * The rules for edits, deletes and reactions, apart from any database so that every store judges
 * alike. A store gathers the facts about the target inside the transaction that would store the
 * change and asks `refuseChange`; nothing here reads or writes.
 */

/** Why a change was refused. Frame handlers turn each into an error code and a message. */
export type ChangeRefusal =
  /** The messageId names no message of this conversation. */
  | 'no_such_message'
  /** Edits and deletes belong to the message's author. */
  | 'not_author'
  /** An edit of, or a reaction to, a message deleted for everyone. */
  | 'message_deleted'
  /** A second delete of the same message. */
  | 'already_deleted'
  /** Adding one more distinct emoji would exceed LIMITS.maxReactionsPerPerson. */
  | 'too_many_reactions';

/** What a store knows about the message a change targets. */
export interface ChangeTarget {
  authorId: string;
  deleted: boolean;
  /** The emojis the sender of the change has on the message right now. */
  senderEmojis: ReadonlySet<string>;
}

/**
 * null when the change may be stored. The order matters: authorship before deletion, so a member
 * who is not the author hears "forbidden" whatever the state of the message.
 *
 * A reaction that is already in place (`on` for an emoji the sender has, `off` for one they do not
 * have) is accepted and stored as an event even though it changes nothing: clients apply reactions
 * as set operations, so it converges, and refusing it would show a failure to someone whose two
 * devices both added the same emoji while offline.
 */
export function refuseChange(change: Change, senderId: string, target: ChangeTarget | null): ChangeRefusal | null {
  if (!target) return 'no_such_message';
  switch (change.kind) {
    case 'edit':
      if (target.authorId !== senderId) return 'not_author';
      return target.deleted ? 'message_deleted' : null;
    case 'delete':
      if (target.authorId !== senderId) return 'not_author';
      return target.deleted ? 'already_deleted' : null;
    case 'reaction': {
      if (target.deleted) return 'message_deleted';
      const adds = change.on && !target.senderEmojis.has(change.emoji);
      return adds && target.senderEmojis.size >= LIMITS.maxReactionsPerPerson ? 'too_many_reactions' : null;
    }
  }
}
