import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { Avatar } from './Avatar.js';
import { PresenceLabel } from './PresenceLabel.js';

export function ConversationHeader({ peer, titleId }: { peer: User; titleId: string }) {
  return (
    <header className="conversation__header">
      <Avatar user={peer} />
      <div className="conversation__who">
        <h2 id={titleId} className="conversation__name">
          {peer.displayName}
        </h2>
        <span className="conversation__sub">
          <span className="conversation__username">{t.user.handle(peer.username)}</span>
          <PresenceLabel />
        </span>
      </div>
    </header>
  );
}
