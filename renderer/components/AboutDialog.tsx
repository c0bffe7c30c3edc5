import { useEffect, useState } from 'react';
import type { AboutView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';
import { browserChromiumVersion } from '../transport/browser-version.js';
import { ModalDialog } from './ModalDialog.js';

type Load = { state: 'loading' } | { state: 'loaded'; about: AboutView } | { state: 'failed'; error: string };

/**
 * The versions a tester quotes in a bug report, as a list of labelled values (plain text). In the
 * browser host the core has no Chromium of its own to name: the page names the browser's.
 */
export function AboutDialog({ onClose }: { onClose: () => void }) {
  const { loadAbout } = useActions();
  const [load, setLoad] = useState<Load>({ state: 'loading' });

  useEffect(() => {
    let cancelled = false;
    loadAbout()
      .then(async (about) => (about.chromium === null ? { ...about, chromium: await browserChromiumVersion() } : about))
      .then(
        (about) => !cancelled && setLoad({ state: 'loaded', about }),
        (failure: unknown) => !cancelled && setLoad({ state: 'failed', error: describeError(failure) }),
      );
    return () => {
      cancelled = true;
    };
  }, [loadAbout]);

  return (
    <ModalDialog title={t.about.title} onClose={onClose} className="dialog--about">
      {load.state === 'loading' && <p>{t.about.loading}</p>}
      {load.state === 'failed' && (
        <p className="form-error" role="alert">
          {t.about.failed(load.error)}
        </p>
      )}
      {load.state === 'loaded' && <Versions about={load.about} />}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose}>
          {t.about.close}
        </button>
      </div>
    </ModalDialog>
  );
}

function Versions({ about }: { about: AboutView }) {
  const rows: Array<[string, string | number | null]> = [
    [t.about.app, about.app],
    [t.about.electron, about.electron],
    [t.about.chromium, about.chromium],
    [t.about.node, about.node],
    [t.about.sqlite, about.sqlite],
    [t.about.schema, about.schemaVersion],
  ];
  return (
    <dl className="about-versions" aria-label={t.about.listLabel}>
      {rows.map(([label, value]) => (
        <div key={label} className="about-versions__row">
          <dt>{label}</dt>
          <dd>{value ?? t.about.notApplicable}</dd>
        </div>
      ))}
    </dl>
  );
}
