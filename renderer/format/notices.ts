/** Membership notices and the typing line in words (always display names). */
import type { NoticeView } from '../../sync/app-api/contract.js';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';

const names = new Intl.ListFormat(t.locale, { style: 'long', type: 'conjunction' });

/** "Alice Liddell added Carol Chen", "Carol Chen left", "Alice Liddell renamed the group to Trip"… */
export function noticeText(notice: NoticeView): string {
  const actor = notice.actor.displayName;
  const subjects = names.format(notice.subjects.map((user) => user.displayName));
  const first = notice.subjects[0]?.displayName ?? '';
  switch (notice.kind) {
    case 'group_created':
      return t.notices.created(actor, notice.name ?? '');
    case 'members_added':
      return t.notices.added(actor, subjects);
    case 'member_removed':
      return t.notices.removed(actor, subjects);
    case 'member_left':
      // The owner left: `subjects` holds who became owner.
      return first ? `${t.notices.left(actor)}. ${t.notices.newOwner(first)}` : t.notices.left(actor);
    case 'group_renamed':
      return t.notices.renamed(actor, notice.name ?? '');
    case 'role_changed':
      return notice.role === 'admin' ? t.notices.madeAdmin(actor, first) : t.notices.unmadeAdmin(actor, first);
  }
}

/** "Alice is typing…", "Alice and Bob are typing…", "3 people are typing…". */
export function typingText(typing: readonly User[]): string {
  const [first, second] = typing;
  if (!first) return '';
  if (!second) return t.typing.one(first.displayName);
  if (typing.length === 2) return t.typing.two(first.displayName, second.displayName);
  return t.typing.many(typing.length);
}
