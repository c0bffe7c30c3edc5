import { useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';

/**
 * On a device just linked: while the other device's history is being brought over, and, should it
 * not arrive, that it did not (once, until tried again); the device works either way.
 */
export function HistoryTransferBanner() {
  const history = useApp((s) => (s.linkState.kind === 'linked' ? s.linkState.history : undefined));
  const { retryHistoryTransfer } = useActions();
  const [busy, setBusy] = useState(false);
  if (history === 'arriving') {
    return (
      <p role="status" className="history-transfer">
        {t.linking.historyArriving}
      </p>
    );
  }
  if (history !== 'failed') return null;
  const retry = () => {
    setBusy(true);
    // The new state (arriving, then transferred or failed) comes as a link state change.
    retryHistoryTransfer()
      .catch(() => undefined)
      .finally(() => setBusy(false));
  };
  return (
    <div role="alert" className="history-transfer history-transfer--failed">
      <span>{t.linking.historyFailed}</span>
      <button type="button" className="button" disabled={busy} onClick={retry}>
        {t.linking.historyRetry}
      </button>
    </div>
  );
}
