import { useId, useState } from 'react';
import type { ConversationSummary } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { describeError } from '../state/errors.js';

type Answer = 'accept' | 'delete' | 'block';

/**
 * Above the composer of a message request: who it came from, and "Accept", "Delete" and "Block".
 * Writing a reply accepts it too (the core does that); until then nothing tells them it was seen.
 */
export function RequestBar({ conversation }: { conversation: ConversationSummary }) {
  const { answerRequest } = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const textId = useId();
  const from = conversation.requestFromName ?? conversation.title;

  const answer = (choice: Answer) => {
    setBusy(true);
    setError(null);
    answerRequest(conversation.id, choice)
      .catch((failure: unknown) => setError(t.requests.failed(describeError(failure))))
      .finally(() => setBusy(false));
  };

  return (
    <div className="request-bar" role="group" aria-label={t.requests.actions} aria-describedby={textId}>
      <p id={textId} className="request-bar__text">
        {conversation.kind === 'group' ? t.requests.addedBy(from) : t.requests.fromPerson(from)}
      </p>
      <div className="request-bar__actions">
        <button type="button" className="button button--primary" disabled={busy} onClick={() => answer('accept')}>
          {t.requests.accept}
        </button>
        <button type="button" className="button button--secondary" disabled={busy} onClick={() => answer('delete')}>
          {t.requests.delete}
        </button>
        <button type="button" className="button button--danger" disabled={busy} onClick={() => answer('block')}>
          {t.requests.block}
        </button>
      </div>
      {error && (
        <p className="composer__error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
