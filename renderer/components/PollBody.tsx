import { useId, useRef, useState, type KeyboardEvent } from 'react';
import type { MessageView } from '../../sync/app-api/contract.js';
import type { PollView } from '../../sync/app-api/polls-api.js';
import { t } from '../i18n/index.js';
import { useActions } from '../state/context.js';
import { choicesAfter } from '../state/polls.js';
import { EndPollDialog } from './EndPollDialog.js';
import { pollRadioKey } from './keys.js';
import { PollVotesDialog } from './PollVotesDialog.js';

interface Props {
  message: MessageView;
  poll: PollView;
  /** Nobody can vote here now (a group the reader left, a poll the server refused). */
  closed: boolean;
  /** Where focus goes when a dialog closes (the message). */
  returnFocusTo: () => HTMLElement | null;
}

/** An option's share of the people who voted, as a width in percent. */
function share(voters: number, people: number): number {
  return people === 0 ? 0 : Math.round((voters / people) * 100);
}

/**
 * A poll in its message: the question (plain text), then a group "Poll" with a radio button per
 * option (a checkbox when several may be chosen), named by the option's text, its count and a bar
 * beside it. Choosing votes at once; "View votes" lists who chose what, and its author may end it,
 * after which nobody can vote.
 *
 * The radios' arrow keys move focus without checking anything: a radio the browser checks on its way
 * through would send a vote on every key press, so a vote goes only on a deliberate choice (a click,
 * a tap, Space or Enter) rather than on a debounce that would still send a radio merely passed over.
 */
export function PollBody({ message, poll, closed, returnFocusTo }: Props) {
  const { votePoll, endPoll } = useActions();
  const [dialog, setDialog] = useState<'votes' | 'end' | null>(null);
  const questionId = useId();
  const groupName = useId();
  const countId = useId();
  const locked = closed || poll.ended;
  const inputs = useRef<(HTMLInputElement | null)[]>([]);

  const onRadioKey = (event: KeyboardEvent<HTMLInputElement>, index: number) => {
    if (poll.multiple) return;
    const action = pollRadioKey(event.key, index, poll.options.length, poll.mine);
    if (!action) return;
    event.preventDefault(); // the browser's own arrow keys would check (and so vote for) each radio passed
    if ('focus' in action) inputs.current[action.focus]?.focus();
    else void votePoll(message.id, choicesAfter(poll, action.choose, true));
  };

  return (
    <div className={`poll${poll.pending ? ' poll--pending' : ''}`}>
      <p id={questionId} className="message__text poll__question">
        {message.text}
      </p>
      <div role="group" aria-label={t.polls.label} aria-describedby={questionId} className="poll__options">
        {poll.options.map((option, index) => (
          <div key={index} className="poll__option">
            <label className="poll__choice">
              <input
                ref={(element) => {
                  inputs.current[index] = element;
                }}
                type={poll.multiple ? 'checkbox' : 'radio'}
                name={groupName}
                checked={poll.mine.includes(index)}
                disabled={locked}
                aria-describedby={`${countId}-${index}`}
                onChange={(event) => void votePoll(message.id, choicesAfter(poll, index, event.target.checked))}
                onKeyDown={(event) => onRadioKey(event, index)}
              />
              <span className="poll__text">{option.text}</span>
            </label>
            <span id={`${countId}-${index}`} className="poll__count">
              {t.polls.votes(option.voters.length)}
            </span>
            <span className="poll__bar" aria-hidden="true">
              <span className="poll__fill" style={{ width: `${share(option.voters.length, poll.people)}%` }} />
            </span>
          </div>
        ))}
      </div>
      <p className="poll__summary">
        <span>{t.polls.voted(poll.people)}</span>
        {poll.ended && <span className="poll__ended">{t.polls.ended}</span>}
        {poll.pending && <span className="poll__pending">{t.polls.pending}</span>}
      </p>
      <div className="poll__actions">
        <button type="button" className="link-button" onClick={() => setDialog('votes')}>
          {t.polls.viewVotes}
        </button>
        {!locked && !poll.multiple && poll.mine.length > 0 && (
          <button type="button" className="link-button" onClick={() => void votePoll(message.id, [])}>
            {t.polls.retract}
          </button>
        )}
        {!locked && message.own && (
          <button type="button" className="link-button" onClick={() => setDialog('end')}>
            {t.polls.end}
          </button>
        )}
      </div>
      {dialog === 'votes' && <PollVotesDialog poll={poll} returnFocusTo={returnFocusTo} onClose={() => setDialog(null)} />}
      {dialog === 'end' && !locked && (
        <EndPollDialog
          returnFocusTo={returnFocusTo}
          onClose={() => setDialog(null)}
          onConfirm={() => {
            setDialog(null);
            void endPoll(message.id);
          }}
        />
      )}
    </div>
  );
}
