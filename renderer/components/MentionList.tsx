import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { Avatar } from './Avatar.js';

interface Props {
  id: string;
  optionId: (index: number) => string;
  people: readonly User[];
  active: number;
  onPick: (user: User) => void;
}

/** The members offered after "@" in a group's composer (the composer keeps the keyboard focus). */
export function MentionList({ id, optionId, people, active, onPick }: Props) {
  return (
    <ul id={id} role="listbox" aria-label={t.composer.mentions} className="mentions">
      {people.map((user, index) => (
        <li
          key={user.id}
          id={optionId(index)}
          role="option"
          aria-selected={index === active}
          className={`mentions__option${index === active ? ' mentions__option--active' : ''}`}
          // Keep the focus in the composer.
          onMouseDown={(event) => event.preventDefault()}
          onClick={() => onPick(user)}
        >
          <Avatar user={user} size="small" />
          <span className="mentions__name">{user.displayName}</span>
          <span className="mentions__username">{t.user.handle(user.username)}</span>
        </li>
      ))}
    </ul>
  );
}
