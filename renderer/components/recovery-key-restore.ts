/**
 * What RecoveryKeyRestore says after a try: a restore, the reason one did not happen (the core's
 * outcome, key-backup-api.ts), or why the call failed. Apart from the component so it is tested
 * without a DOM.
 */
import type { RestoreOutcome } from '../../sync/app-api/key-backup-api.js';
import { t } from '../i18n/index.js';
import { describeError } from '../state/errors.js';

export interface RestoreResult {
  restored: boolean;
  /** How it went, for a status line. */
  status: string | null;
  /** Why it did not, for an alert. */
  error: string | null;
}

/** Runs `restore` with the recovery key as typed, and words the answer. */
export async function tryRestore(
  restore: (recoveryKey: string) => Promise<RestoreOutcome>,
  typed: string,
): Promise<RestoreResult> {
  try {
    const outcome = await restore(typed);
    if (outcome === 'restored') return { restored: true, status: t.recoveryKeyRestore.restored, error: null };
    return { restored: false, status: null, error: t.recoveryKeyRestore.outcomes[outcome] };
  } catch (failure) {
    return { restored: false, status: null, error: t.recoveryKeyRestore.failed(describeError(failure)) };
  }
}
