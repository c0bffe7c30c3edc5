import { useState } from 'react';
import type { LogExportOutcome } from '../../sync/app-api/log-export.js';
import { t } from '../i18n/index.js';
import { describeError } from '../state/errors.js';
import { exportLogs } from '../transport/log-export.js';
import { SectionOutcome } from './SectionOutcome.js';

type Outcome = { status: string | null; error: string | null };

const QUIET: Outcome = { status: null, error: null };

/** What to say once the host is done: Electron saved (or not) the file; a browser reports its own download. */
function outcomeOf(outcome: LogExportOutcome): Outcome {
  switch (outcome) {
    case 'saved':
      return { status: t.logs.exported, error: null };
    case 'cancelled':
    case 'downloading':
      return QUIET;
    case 'failed':
      return { status: null, error: t.logs.failed(t.errors.internal) };
    default: {
      const unknown: never = outcome;
      return { status: null, error: t.logs.failed(String(unknown)) };
    }
  }
}

/**
 * Settings → "Export logs": this device's logs as one file a tester attaches to a report: a save
 * dialog in Electron, a download in a browser. The button keeps its name while busy.
 */
export function ExportLogsButton() {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(QUIET);

  const run = () => {
    setBusy(true);
    setOutcome({ status: t.logs.exporting, error: null });
    void exportLogs()
      .then(outcomeOf, (failure: unknown) => ({ status: null, error: t.logs.failed(describeError(failure)) }))
      .then(setOutcome)
      .finally(() => setBusy(false));
  };

  return (
    <>
      <button type="button" className="button button--secondary" aria-busy={busy} disabled={busy} onClick={run}>
        {t.logs.export}
      </button>
      <SectionOutcome status={outcome.status} error={outcome.error} />
    </>
  );
}
