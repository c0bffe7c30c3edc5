import type { ReactionView } from '../../sync/app-api/contract.js';
import { t } from '../i18n/index.js';

interface Props {
  reactions: readonly ReactionView[];
  onToggle: (emoji: string, on: boolean) => void;
}

/** The reactions under a message: one toggle button per emoji, pressed when one of them is yours. */
export function ReactionBar({ reactions, onToggle }: Props) {
  if (reactions.length === 0) return null;
  return (
    <div role="group" aria-label={t.reactions.barLabel} className="reactions">
      {reactions.map((reaction) => (
        <button
          key={reaction.emoji}
          type="button"
          className={`reaction${reaction.mine ? ' reaction--mine' : ''}`}
          aria-pressed={reaction.mine}
          aria-label={t.reactions.chip(reaction.emoji, reaction.count)}
          title={reaction.mine ? t.reactions.chipHintRemove(reaction.emoji) : t.reactions.chipHintAdd(reaction.emoji)}
          onClick={() => onToggle(reaction.emoji, !reaction.mine)}
        >
          <span className="reaction__emoji" aria-hidden="true">
            {reaction.emoji}
          </span>
          <span className="reaction__count" aria-hidden="true">
            {reaction.count}
          </span>
        </button>
      ))}
    </div>
  );
}
