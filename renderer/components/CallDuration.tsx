import { formatCallDuration } from '../calls/duration.js';
import { useNow } from '../hooks/useNow.js';
import { t } from '../i18n/index.js';

/** How long the call has been connected (m:ss), ticking; a fixed length once it ended. */
export function CallDuration({ connectedAt, durationMs }: { connectedAt: number | null; durationMs?: number | null }) {
  const ticking = durationMs == null && connectedAt !== null;
  const now = useNow(1000, ticking);
  const ms = durationMs ?? (connectedAt === null ? 0 : now - connectedAt);
  return (
    <span role="timer" aria-label={t.calls.duration} className="call__duration">
      {formatCallDuration(ms)}
    </span>
  );
}
