import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { timerWords } from '../format/disappearing.js';
import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';
import { CallButtons } from './CallButtons.js';
import { ConversationAvatar } from './ConversationAvatar.js';
import { ConversationMenu } from './ConversationMenu.js';
import { InfoIcon, TimerIcon } from './icons.js';
import { PresenceLabel } from './PresenceLabel.js';

interface Props {
  conversation: ConversationSummary;
  titleId: string;
  onGroupInfo: () => void;
}

/** "N members, M online" for the open group, once known; the member count until then. */
function GroupMembersLabel({ memberCount }: { memberCount: number }) {
  const members = useApp((s) => (s.activity && s.activity.conversationId === s.open?.id ? s.activity.members : null));
  const total = members?.total ?? memberCount;
  return <span className="presence">{members ? t.group.members(total, members.online) : t.group.memberCount(total)}</span>;
}

/** The stopwatch beside who the conversation is with while its messages disappear, named with the timer. */
function TimerLabel({ timerMs }: { timerMs: number }) {
  const label = t.disappearing.header(timerWords(timerMs));
  return (
    <span role="img" aria-label={label} title={label} className="conversation__timer">
      <TimerIcon size={13} />
    </span>
  );
}

/**
 * Who the conversation is with: the person and their presence, or the group and its members, and
 * its disappearing-message timer; the conversation's menu (archive, mute, block, the timer).
 */
export function ConversationHeader({ conversation, titleId, onGroupInfo }: Props) {
  const { peer } = conversation;
  return (
    <header className="conversation__header">
      <ConversationAvatar conversation={conversation} />
      <div className="conversation__who">
        <h2 id={titleId} className="conversation__name">
          {conversation.title}
        </h2>
        <span className="conversation__sub">
          {conversation.disappearingTimerMs !== null && <TimerLabel timerMs={conversation.disappearingTimerMs} />}
          {peer ? (
            <>
              <span className="conversation__username">{t.user.handle(peer.username)}</span>
              <PresenceLabel />
            </>
          ) : (
            conversation.isMember && <GroupMembersLabel memberCount={conversation.memberCount} />
          )}
        </span>
      </div>
      {conversation.kind === 'group' && (
        <button
          type="button"
          className="icon-button conversation__info"
          aria-label={t.group.info}
          title={t.group.info}
          onClick={onGroupInfo}
        >
          <InfoIcon size={20} />
        </button>
      )}
      {/* A request or a blocked person cannot be rung; a group one has left has no call for them. */}
      {conversation.isMember && !conversation.request && !conversation.blocked && <CallButtons conversation={conversation} />}
      <ConversationMenu conversation={conversation} />
    </header>
  );
}
