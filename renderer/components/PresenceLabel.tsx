import { formatFull, formatLastSeen } from '../format/time.js';
import { useNow } from '../hooks/useNow.js';
import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';

const MINUTE_MS = 60_000;

/** "online" or "last seen …" for the open conversation's peer; nothing while unknown. */
export function PresenceLabel() {
  const presence = useApp((s) => (s.activity && s.activity.conversationId === s.open?.id ? s.activity.peerPresence : null));
  const lastSeenAt = presence && !presence.online ? presence.lastSeenAt : null;
  const now = useNow(MINUTE_MS, lastSeenAt !== null);
  if (!presence) return null;
  if (presence.online) return <span className="presence presence--online">{t.presence.online}</span>;
  if (lastSeenAt === null) return null;
  return (
    <span className="presence" title={formatFull(lastSeenAt)}>
      {formatLastSeen(lastSeenAt, now)}
    </span>
  );
}
