import { useState } from 'react';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';

/** In place of the composer of a direct conversation with someone you blocked: Unblock. */
export function BlockedNotice({ peer }: { peer: User }) {
  const { setBlocked } = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const unblock = () => {
    setBusy(true);
    setError(null);
    setBlocked(peer.id, false)
      .catch((failure: unknown) => setError(t.blocking.failed(describeError(failure))))
      .finally(() => setBusy(false));
  };

  return (
    <div className="composer composer--closed composer--blocked">
      <p>{t.blocking.youBlocked}</p>
      <button type="button" className="button button--secondary button--small" onClick={unblock} disabled={busy}>
        {t.blocking.unblock}
      </button>
      {error && (
        <p className="composer__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
