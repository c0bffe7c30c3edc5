import { useId, useState } from 'react';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { copyText } from '../transport/clipboard.js';
import { describeError } from '../state/errors.js';
import { ModalDialog } from './ModalDialog.js';
import { QrCode } from './QrCode.js';
import { RecoveryKeyRestore } from './RecoveryKeyRestore.js';
import { SectionOutcome } from './SectionOutcome.js';

/**
 * Shown instead of the conversations while this device waits to be linked: the account's identity
 * is on its other devices, and one of them hands it over given this link code (as text to copy or
 * type, and as a QR code).
 */
export function LinkDeviceScreen({ code }: { code: string | null }) {
  const { logOut } = useActions();
  const user = useApp((s) => s.session?.user ?? null);
  const headingId = useId();
  const fieldId = useId();
  const [copied, setCopied] = useState<boolean | null>(null);
  // No other device at hand: the recovery key opens the key backup instead.
  const [withRecoveryKey, setWithRecoveryKey] = useState(false);
  const [askingNewIdentity, setAskingNewIdentity] = useState(false);

  return (
    <main className="recovery link-device" aria-labelledby={headingId}>
      <div className="recovery__card">
        <h1 id={headingId} className="recovery__heading">
          {t.linking.title}
        </h1>
        {user && <p className="field__hint">@{user.username}</p>}
        <p>{t.linking.intro}</p>
        {code === null ? (
          <p role="status">{t.linking.connecting}</p>
        ) : (
          <>
            <QrCode value={code} label={t.linking.qr} className="link-device__qr" />
            <div className="field">
              <label className="field__label" htmlFor={fieldId}>
                {t.linking.code}
              </label>
              <input
                id={fieldId}
                className="field__input link-device__code"
                readOnly
                spellCheck={false}
                value={code}
                onFocus={(event) => event.currentTarget.select()}
              />
              <button
                type="button"
                className="button button--secondary"
                onClick={() => void copyText(code, window).then(setCopied)}
              >
                {t.linking.copy}
              </button>
              <SectionOutcome status={copied === true ? t.linking.copied : null} error={null} />
            </div>
          </>
        )}
        {withRecoveryKey ? (
          <RecoveryKeyRestore />
        ) : (
          <button type="button" className="button button--secondary" onClick={() => setWithRecoveryKey(true)}>
            {t.linking.useRecoveryKey}
          </button>
        )}
        <button type="button" className="button button--secondary" onClick={() => setAskingNewIdentity(true)}>
          {t.linking.newIdentity}
        </button>
        {askingNewIdentity && <NewIdentityDialog onClose={() => setAskingNewIdentity(false)} />}
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={() => void logOut()}>
            {t.linking.logOut}
          </button>
        </div>
      </div>
    </main>
  );
}

/** "Start with a new identity": said what it costs, then done; the screen goes once the device has its keys. */
function NewIdentityDialog({ onClose }: { onClose: () => void }) {
  const { startNewIdentity } = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = () => {
    setBusy(true);
    setError(null);
    startNewIdentity()
      .then(
        (outcome) => {
          if (outcome === 'password_needed') setError(t.linking.newIdentityPasswordNeeded);
        },
        (failure: unknown) => setError(t.linking.newIdentityFailed(describeError(failure))),
      )
      .finally(() => setBusy(false));
  };
  return (
    <ModalDialog title={t.linking.newIdentity} description={t.linking.newIdentityText} onClose={onClose}>
      <SectionOutcome status={null} error={error} />
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.linking.cancel}
        </button>
        <button type="button" className="button button--primary" disabled={busy} onClick={start}>
          {t.linking.newIdentityConfirm}
        </button>
      </div>
    </ModalDialog>
  );
}
