import type { FailedGroupChangeView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions, useApp } from '../state/context.js';
import { describeRefusal } from '../state/errors.js';
import { WarningIcon } from './icons.js';

const NONE: readonly FailedGroupChangeView[] = [];

/** Your changes to the open group that the server refused: try again, or drop them. */
export function FailedGroupChanges() {
  const changes = useApp((s) => (s.info && s.info.conversationId === s.open?.id ? s.info.view.failedChanges : NONE));
  const { retryGroupChange, discardGroupChange } = useActions();
  if (changes.length === 0) return null;
  return (
    <ul className="change-failures change-failures--group" aria-label={t.group.failedChanges}>
      {changes.map((change) => (
        <li key={change.changeId} className="change-failure">
          <WarningIcon size={13} className="change-failure__icon" />
          <span className="change-failure__text">
            {t.group.failed[change.kind](
              change.error ? describeRefusal(change.error, { about: change.people }) : t.failedChange.fallback,
            )}
          </span>
          <span className="change-failure__actions">
            <button type="button" className="link-button" onClick={() => void retryGroupChange(change.changeId)}>
              {t.group.retry}
            </button>
            <button type="button" className="link-button" onClick={() => void discardGroupChange(change.changeId)}>
              {t.group.dismiss}
            </button>
          </span>
        </li>
      ))}
    </ul>
  );
}
