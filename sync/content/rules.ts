/**
 * Whether opened content may take effect: the one pure module every receiving device asks, with
 * the facts of its own mirror and the sender the server attests, so all of them drop the same
 * content. The server used to judge these; it can no longer read what it would judge. Nothing here
 * reads or writes.
 */
import { LIMITS } from '../protocol/limits.js';
import { mayManageMembers, mayPin } from '../protocol/rules.js';
import type { Change, Content } from './content.js';
import type { ContentRefusal, ContentSender } from './content-sender.js';
import { isMessageStateContent, refuseMessageState } from './kinds/message-state.js';
import type { MessageStateTarget } from './kinds/message-state-kind.js';
import { refuseDisappearing } from './disappearing.js';

export type { ContentRefusal, ContentSender } from './content-sender.js';

/**
 * null when the content takes effect; else why every device drops it. `target` is what the mirror
 * knows of the message an edit, delete, reaction, pin or vote names (null when it knows none).
 */
export function refuseContent(content: Content, sender: ContentSender, target: ChangeTarget | null): ContentRefusal | null {
  if (isMessageStateContent(content)) return refuseMessageState(content, sender, target);
  switch (content.kind) {
    case 'message':
      // Any member may write; a reply to a message this device does not have still shows.
      return null;
    case 'rename':
      return sender.conversationKind === 'group' && mayManageMembers(sender.role) ? null : 'not_allowed';
    case 'call':
      // A direct conversation keeps how its calls ended, a group that its calls began; any member may write one.
      return (content.outcome === 'group_started') === (sender.conversationKind === 'group') ? null : 'not_allowed';
    case 'edit':
    case 'delete':
    case 'reaction':
    case 'pin':
      return refuseChange(content, sender, target);
    case 'disappearing_timer':
    case 'disappearing_policy':
      return refuseDisappearing(content, sender);
  }
}

/**
 * What is known about the message a change targets. Its `poll` is read for the changes that
 * depend on it (an edit, a vote, an end), and null for the others.
 */
export interface ChangeTarget extends MessageStateTarget {
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
export function refuseChange(change: Change, actor: ContentSender, target: ChangeTarget | null): ContentRefusal | null {
  if (!target) return 'no_such_message';
  switch (change.kind) {
    case 'edit':
      if (target.authorId !== actor.id) return 'not_author';
      if (target.deleted) return 'message_deleted';
      // A poll's question is not edited: the votes were given to the words that were asked. A
      // location's text is its place name, which says where the point is. A sticker has no text.
      return target.poll || target.location || target.sticker ? 'not_allowed' : null;
    case 'delete':
      if (target.authorId !== actor.id) return 'not_author';
      return target.deleted ? 'already_deleted' : null;
    case 'pin':
      if (!mayPin(actor.conversationKind, actor.role)) return 'not_allowed';
      // Unpinning a deleted message is harmless (it is unpinned already); pinning one is refused.
      return change.on && target.deleted ? 'message_deleted' : null;
    case 'reaction': {
      if (target.deleted) return 'message_deleted';
      const adds = change.on && !target.senderEmojis.has(change.emoji);
      return adds && target.senderEmojis.size >= LIMITS.maxReactionsPerPerson ? 'too_many_reactions' : null;
    }
  }
}
