import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { Avatar, GroupAvatar } from './Avatar.js';

/** The other person's avatar in a direct conversation, the group's in a group. */
export function ConversationAvatar({ conversation }: { conversation: ConversationSummary }) {
  return conversation.peer ? <Avatar user={conversation.peer} /> : <GroupAvatar id={conversation.id} name={conversation.title} />;
}
