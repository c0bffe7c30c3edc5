/**
 * Whether opened content may take effect: the one pure module every receiving device asks, with
 * the facts of its own mirror and the sender the server attests, so all of them drop the same
 * content. The server used to judge these; it can no longer read what it would judge. Nothing here
 * reads or writes.
 */
import type { ConversationKind, Role } from '../protocol/frames.js';
import { mayManageMembers, refuseChange, type ChangeRefusal, type ChangeTarget } from '../protocol/rules.js';
import type { Content } from './content.js';

/** Who sent the content, as the receiving device knows them when it applies it. */
export interface ContentSender {
  id: string;
  /** Their role in the conversation (both people of a direct conversation are members). */
  role: Role;
  conversationKind: ConversationKind;
}

export type ContentRefusal = ChangeRefusal;

/**
 * null when the content takes effect; else why every device drops it. `target` is what the mirror
 * knows of the message an edit, delete, reaction or pin names (null when it knows none).
 */
export function refuseContent(content: Content, sender: ContentSender, target: ChangeTarget | null): ContentRefusal | null {
  switch (content.kind) {
    case 'message':
      // Any member may write; a reply to a message this device does not have still shows.
      return null;
    case 'rename':
      return sender.conversationKind === 'group' && mayManageMembers(sender.role) ? null : 'not_allowed';
    case 'edit':
    case 'delete':
    case 'reaction':
    case 'pin':
      return refuseChange(content, sender, target);
  }
}
