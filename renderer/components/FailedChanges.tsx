import type { FailedChangeView } from '../../sync/app-api/contract.js';
import { t, type Strings } from '../i18n/index.js';
import { describeRefusal } from '../state/errors.js';
import { WarningIcon } from './icons.js';

/** Keys, not words: `t` is read when rendering, in the language in use then. */
const RETRY_NAME = {
  edit: 'retryEdit',
  delete: 'retryDelete',
  reaction: 'retryReaction',
  pin: 'retryPin',
} as const satisfies Record<FailedChangeView['kind'], keyof Strings['failedChange']>;

interface Props {
  changes: readonly FailedChangeView[];
  onRetry: (changeId: string) => void;
  onDismiss: (changeId: string) => void;
}

/** Your edits, deletes and reactions on this message that the server refused: try again or drop. */
export function FailedChanges({ changes, onRetry, onDismiss }: Props) {
  if (changes.length === 0) return null;
  return (
    <ul className="change-failures">
      {changes.map((change) => (
        <li key={change.changeId} className="change-failure">
          <WarningIcon size={13} className="change-failure__icon" />
          <span className="change-failure__text">
            {t.failedChange[change.kind](change.error ? describeRefusal(change.error) : t.failedChange.fallback)}
          </span>
          <span className="change-failure__actions">
            <button
              type="button"
              className="link-button"
              aria-label={t.failedChange[RETRY_NAME[change.kind]]}
              onClick={() => onRetry(change.changeId)}
            >
              {t.failedChange.retry}
            </button>
            <button type="button" className="link-button" onClick={() => onDismiss(change.changeId)}>
              {t.failedChange.dismiss}
            </button>
          </span>
        </li>
      ))}
    </ul>
  );
}
