import { useId, useState, type FormEvent } from 'react';
import type { SessionView } from '../../sync/app-api/contract.js';
import type { LinkTarget } from '../../sync/app-api/linking-api.js';
import { formatDateTime } from '../format/time.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { useSessions } from '../hooks/useSessions.js';
import { ModalDialog } from './ModalDialog.js';
import { SectionOutcome } from './SectionOutcome.js';

/**
 * The settings dialog's "Linked devices" section: every device of your account, this one first,
 * each other with "Unlink" (it is signed out at once, and what you send next is sealed under new
 * keys it never gets); and "Link a new device", which hands your identity to a device showing a
 * link code.
 */
export function LinkedDevicesSettings() {
  const { endSession } = useActions();
  const { load, reload } = useSessions();
  const [open, setOpen] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  const unlink = (device: SessionView) => {
    setStatus(null);
    setError(null);
    endSession(device.id).then(
      () => {
        setStatus(t.linking.unlinked(device.deviceName ?? t.settings.sessions.unknownDevice));
        reload();
      },
      (failure: unknown) => setError(t.linking.unlinkFailed(describeError(failure))),
    );
  };

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h3 id={headingId} className="settings-section__heading">
        {t.linking.settingsHeading}
      </h3>
      {load.state === 'loading' && <p className="field__hint">{t.settings.sessions.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.linking.loadFailed(load.error)}
        </p>
      )}
      {load.state === 'loaded' && (
        <ul className="session-list" aria-label={t.linking.list}>
          {load.sessions.map((device) => (
            <li key={device.id} className="session-list__item">
              <span className="session-list__device">{device.deviceName ?? t.settings.sessions.unknownDevice}</span>
              <span className="field__hint">
                {device.current ? t.settings.sessions.thisDevice : t.linking.lastSeen(formatDateTime(device.lastUsedAt))}
              </span>
              {!device.current && (
                <button type="button" className="button button--secondary" onClick={() => unlink(device)}>
                  {t.linking.unlink}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        className="button button--secondary"
        onClick={() => {
          setStatus(null);
          setError(null);
          setOpen(true);
        }}
      >
        {t.linking.linkNew}
      </button>
      <SectionOutcome status={status} error={error} />
      {open && (
        <LinkNewDeviceDialog
          onClose={() => setOpen(false)}
          onLinked={(device) => {
            setOpen(false);
            setStatus(t.linking.linked(device));
            reload();
          }}
        />
      )}
    </section>
  );
}

/** The code first ("Link a new device"), then "Link <device name>?" before anything is handed over. */
function LinkNewDeviceDialog({ onClose, onLinked }: { onClose: () => void; onLinked: (device: string) => void }) {
  const { describeLinkCode, linkDevice } = useActions();
  const [code, setCode] = useState('');
  const [target, setTarget] = useState<LinkTarget | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fieldId = useId();
  const deviceName = target?.deviceName ?? t.settings.sessions.unknownDevice;

  const fail = (failure: unknown) => setError(t.linking.failed(describeError(failure, { invalid_argument: t.linking.notACode })));
  const run = (work: Promise<void>) => {
    setBusy(true);
    setError(null);
    work.catch(fail).finally(() => setBusy(false));
  };
  const lookUp = (event: FormEvent) => {
    event.preventDefault();
    run(describeLinkCode(code).then(setTarget));
  };
  const link = () => run(linkDevice(code).then(() => onLinked(deviceName)));

  if (target) {
    return (
      <ModalDialog title={t.linking.confirmTitle(deviceName)} description={t.linking.confirmText} onClose={onClose}>
        <SectionOutcome status={null} error={error} />
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t.linking.cancel}
          </button>
          <button type="button" className="button button--primary" disabled={busy} onClick={link}>
            {t.linking.link}
          </button>
        </div>
      </ModalDialog>
    );
  }
  return (
    <ModalDialog title={t.linking.linkNew} description={t.linking.enterCode} onClose={onClose}>
      <form onSubmit={lookUp}>
        <div className="field">
          <label className="field__label" htmlFor={fieldId}>
            {t.linking.code}
          </label>
          <input
            id={fieldId}
            className="field__input link-device__code"
            required
            spellCheck={false}
            autoComplete="off"
            value={code}
            onChange={(event) => setCode(event.target.value)}
          />
        </div>
        <SectionOutcome status={null} error={error} />
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={onClose}>
            {t.linking.cancel}
          </button>
          <button type="submit" className="button button--primary" disabled={busy}>
            {t.linking.link}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
