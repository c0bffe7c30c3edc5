/** Membership notices and the typing line in words (always display names). */
import type { NoticeView } from '../../sync/app-api/contract.js';
import type { User } from '../../sync/protocol/frames.js';
import { t } from '../i18n/index.js';
import { perLocale } from '../i18n/per-locale.js';
import { formatTime } from './time.js';
import { callEntryWords } from './call-entry.js';
import { timerWordsAfterPreposition } from './disappearing.js';

/** "Alice, Bob and Carol" in the language in use. */
const names = perLocale((locale) => new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }));

/**
 * "Alice Liddell added Carol Chen", "Carol Chen left", "Bob's safety number has changed", "This message could not be
 * decrypted (Bob Brown, 14:05)", "Bob Brown set disappearing messages to 1 week"…
 */
export function noticeText(notice: NoticeView): string {
  const actor = notice.actor.displayName;
  const subjects = names().format(notice.subjects.map((user) => user.displayName));
  const first = notice.subjects[0]?.displayName ?? '';
  switch (notice.kind) {
    case 'group_created':
      return notice.name === null ? t.notices.createdUnnamed(actor) : t.notices.created(actor, notice.name);
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
    case 'safety_number_changed':
      return t.notices.safetyNumberChanged(actor);
    case 'undecryptable':
      return t.notices.undecryptable(actor, formatTime(notice.at));
    case 'call_ended':
      return notice.call ? callEntryWords(notice.call).text : '';
    case 'disappearing_timer_set':
      return notice.timerMs == null
        ? t.notices.disappearingOff(actor)
        : t.notices.disappearingSet(actor, timerWordsAfterPreposition(notice.timerMs));
    case 'disappearing_policy_set':
      return notice.everyone ? t.notices.disappearingEveryone(actor) : t.notices.disappearingAdmins(actor);
  }
}

/**
 * "Alice is typing…", "Alice and Bob are typing…", "3 people are typing…". In a group people go by
 * their first name, as a header with several names would run long; in a direct conversation by
 * their display name, as the header shows it.
 */
export function typingText(typing: readonly User[], inGroup: boolean): string {
  const name = (user: User) => (inGroup ? firstName(user.displayName) : user.displayName);
  const [first, second] = typing;
  if (!first) return '';
  if (!second) return t.typing.one(name(first));
  if (typing.length === 2) return t.typing.two(name(first), name(second));
  return t.typing.many(typing.length);
}

function firstName(displayName: string): string {
  return displayName.trim().split(/\s+/u)[0] ?? displayName;
}
