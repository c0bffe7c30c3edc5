import type { PollView } from '../../sync/app-api/polls-api.js';
import { t } from '../i18n/index.js';
import { useApp } from '../state/context.js';
import { ModalDialog } from './ModalDialog.js';

interface Props {
  poll: PollView;
  onClose: () => void;
  returnFocusTo: () => HTMLElement | null;
}

/** "Votes": per option, who chose it ("You" for the reader); it follows the poll while open. */
export function PollVotesDialog({ poll, onClose, returnFocusTo }: Props) {
  const myId = useApp((s) => s.session?.user.id ?? null);
  return (
    <ModalDialog title={t.polls.votesTitle} onClose={onClose} returnFocusTo={returnFocusTo} className="dialog--info">
      {poll.options.map((option, index) => (
        <section key={index} className="message-info__section">
          <div className="poll-votes__heading">
            <h3 className="poll-votes__option">{option.text}</h3>
            <span className="poll__count">{t.polls.votes(option.voters.length)}</span>
          </div>
          <ul className="people" aria-label={option.text}>
            {option.voters.map((voter) => (
              <li key={voter.id} className="people__item">
                <span className="people__name">{voter.id === myId ? t.polls.you : voter.name}</span>
              </li>
            ))}
          </ul>
          {option.voters.length === 0 && <p className="people__empty">{t.polls.noVoters}</p>}
        </section>
      ))}
      <div className="dialog__actions">
        <button type="button" className="button button--secondary" onClick={onClose} autoFocus>
          {t.polls.close}
        </button>
      </div>
    </ModalDialog>
  );
}
