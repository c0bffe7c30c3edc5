import type { MessageView, NoticeView } from '../../sync/app-api/contract.js';
import { isNoticeEvent, type AppliedEvent } from '../../sync/content/opened-events.js';
import type { Conversation } from '../../sync/protocol/frames.js';
import type { MirrorInspector } from './mirror-inspector.js';
import type { SimConversation, SimDevice } from './people.js';
import { namingSeen } from './group-reference.js';
import { expectedMessages, expectedStatus, type ExpectedMessage } from './reference.js';

/**
 * One device's copy of one conversation against the part of the server's log its person may see
 * (all of it in a direct conversation; their visibility periods in a group): caught up to the
 * last seq they may see and no further, nothing held back that could apply, exactly the visible
 * messages at the server's seqs, each shown as that part of the log folds it (text, edits,
 * delete, reactions, reply quote, status, edit history), exactly the visible membership notices,
 * and, while they are a member, the server's watermarks.
 */
export async function checkDevice(
  device: SimDevice,
  inspector: MirrorInspector,
  conversation: SimConversation,
  visible: AppliedEvent[],
  /** The conversation as the server lists it for this person (current or former member). */
  stored: Conversation,
  /** The last seq of the whole log: beyond the person's lastSeq when events at its end were stored away from them. */
  logLastSeq: number,
  /** Sealed renames every device drops (group-reference.ts). */
  droppedRenames: ReadonlySet<number>,
  /** The virtual time of the check: disappearing messages come and go by it. */
  now: number,
): Promise<string[]> {
  const problems: string[] = [];
  const where = `${device.name} in ${conversation.id.slice(0, 8)}`;
  const cursor = inspector.cursors().find((candidate) => candidate.conversationId === conversation.id);
  if (!cursor) return [`${where}: the conversation is missing`];
  // A device may have heard of events stored away from its person (a block stood) and skipped past
  // them; it may never stop short of the last one its person may see.
  if (cursor.appliedSeq < stored.lastSeq || cursor.appliedSeq > logLastSeq)
    problems.push(`${where}: cursor at ${cursor.appliedSeq}, server at ${stored.lastSeq} (log at ${logLastSeq})`);

  const expected = expectedMessages(visible, true);
  // A message with a timer goes from each device at its own time (sent, or read there): each is
  // checked against its timer (timedProblems) instead of being required on every device.
  const timed = new Set(expected.filter((message) => message.expiresInMs !== null).map((message) => message.id));
  const gone = inspector.disappearedIds(conversation.id);
  const visibleIds = new Set(expected.map((message) => message.id));
  // A change to a message from outside the person's periods has nothing to apply to; any other must have been applied.
  const held = inspector.heldMessageIds(conversation.id).filter((messageId) => visibleIds.has(messageId));
  if (held.length > 0) problems.push(`${where}: changes held for messages it holds: ${held.join(' ')}`);
  const rows = inspector.messageRows(conversation.id);
  const stored_ = rows.filter((row) => row.seq !== null && !timed.has(row.id)).map((row) => `${row.id}@${row.seq}`);
  const wanted = expected.filter((message) => !timed.has(message.id)).map((message) => `${message.id}@${message.seq}`);
  if (stored_.join(' ') !== wanted.join(' '))
    problems.push(`${where}: holds messages [${stored_.join(' ')}], server has [${wanted.join(' ')}]`);
  for (const row of rows.filter((candidate) => candidate.seq === null)) {
    if (row.senderId !== device.user.id || row.state !== 'failed')
      problems.push(`${where}: unacknowledged message ${row.id} in state ${row.state}`);
  }

  const { messages: all, notices } = await wholeHistory(device, conversation.id);
  const isTimerNotice = (kind: string) => kind === 'disappearing_timer_set' || kind === 'disappearing_policy_set';
  const noticesShown = notices
    .filter((notice) => !isTimerNotice(notice.kind))
    .map((notice) => `${notice.kind}@${notice.seq}`)
    .join(' ');
  problems.push(...timerNoticeProblems(notices, visible, stored, where));
  const { renameNotices } = namingSeen(visible, droppedRenames);
  const noticesWanted = visible
    .filter(isNoticeEvent)
    .filter((event) => event.kind !== 'group_renamed' || renameNotices.has(event.seq))
    .map((event) => `${event.kind}@${event.seq}`)
    .join(' ');
  if (noticesShown !== noticesWanted)
    problems.push(`${where}: shows notices [${noticesShown}], its part of the log has [${noticesWanted}]`);
  // The server refuses a send only from someone no longer in the group, and a forward only when
  // its original was deleted for everyone, or left the forwarder's sight, before it arrived.
  const forwardRefusals = new Set(['message_deleted', 'forwarded_message_missing']);
  for (const view of all.filter((candidate) => candidate.status === 'failed')) {
    const refusedForward = view.forwardedFrom !== null && forwardRefusals.has(view.error ?? '');
    if (view.error !== 'no_longer_member' && view.error !== 'conversation_not_found' && !refusedForward)
      problems.push(`${where}: message ${view.id} failed with "${view.error}"`);
  }
  const views = new Map(all.filter((view) => view.seq !== null).map((view) => [view.id, view]));
  const ids = all.map((view) => view.id);
  if (new Set(ids).size !== ids.length) problems.push(`${where}: a message shows twice in [${ids.join(' ')}]`);
  for (const message of expected) {
    const view = views.get(message.id);
    if (!view) {
      if (!(timed.has(message.id) && gone.has(message.id)))
        problems.push(`${where}: message ${message.id} (seq ${message.seq}) is not in the list`);
      continue;
    }
    if (timed.has(message.id)) problems.push(...timedProblems(message, view, device.user.id, stored, now, where));
    const got = shown(view, stored.isMember);
    const want = expectedView(message, device.user.id, stored);
    // A quote of a message that went here with its timer says it disappeared.
    if (message.replyTo && timed.has(message.replyTo.messageId) && got.replyTo && !got.replyTo.available)
      want.replyTo = got.replyTo;
    // Deleted where this person cannot see it: the old state they got before is as right as the deletion.
    const unseen = message.deletedUnseen && !view.deleted;
    if (unseen)
      Object.assign(want, {
        text: got.text,
        edited: got.edited,
        deleted: false,
        reactions: got.reactions,
        attachments: got.attachments,
        pinned: got.pinned,
        poll: got.poll,
      });
    if (message.replyTo?.deletedUnseen && got.replyTo && !got.replyTo.deleted)
      Object.assign(want.replyTo!, { text: got.replyTo.text, deleted: false });
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(
        `${where}: message ${message.id} (seq ${message.seq}) shows ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
      );
    if (unseen) continue;
    const history = JSON.stringify(await device.core.getEditHistory({ conversationId: conversation.id, messageId: message.id }));
    if (history !== JSON.stringify(message.history))
      problems.push(`${where}: edit history of ${message.id} is ${history}, expected ${JSON.stringify(message.history)}`);
  }

  // A former member's mirror keeps the members as they were; the server tells them nothing more.
  // Our own in a message request not accepted stay on this device until "Accept".
  const withheld = inspector.untrustedConversationIds().has(conversation.id);
  for (const member of stored.members) {
    if (withheld && member.id === device.user.id) continue;
    const mine = inspector.watermarks().find((row) => row.conversationId === conversation.id && row.userId === member.id);
    const got = `${mine?.deliveredSeq}/${mine?.readSeq}`;
    const want = `${member.deliveredSeq}/${member.readSeq}`;
    if (got !== want) problems.push(`${where}: watermarks (delivered/read) of ${member.username} are ${got}, server has ${want}`);
  }
  return problems;
}

/**
 * A message with a timer, shown on a device: never past its time; on its author's devices going
 * its timer after the server stored it; on a reader's, its timer running once their read
 * watermark (from any of their devices) passed it.
 */
function timedProblems(
  message: ExpectedMessage,
  view: MessageView,
  viewerId: string,
  conversation: Conversation,
  now: number,
  where: string,
): string[] {
  const what = `${where}: disappearing message ${message.id} (seq ${message.seq})`;
  const problems: string[] = [];
  if (view.expiresAt !== null && view.expiresAt <= now)
    problems.push(`${what} still shows ${now - view.expiresAt} ms after its time`);
  if (message.senderId === viewerId && view.expiresAt !== message.at + message.expiresInMs!)
    problems.push(`${what} of its author goes at ${view.expiresAt}, not ${message.at + message.expiresInMs!}`);
  const readSeq = conversation.members.find((member) => member.id === viewerId)?.readSeq ?? 0;
  if (message.senderId !== viewerId && readSeq >= message.seq && view.expiresAt === null)
    problems.push(`${what} was read (up to seq ${readSeq}) but its timer never started`);
  return problems;
}

/**
 * The disappearing-message settings shown: each one of the person's part of the log. In a direct
 * conversation every one there shows (either person may set it); in a group the rule drops a
 * member's unless the group lets everyone, which the reference does not fold, so there only
 * that nothing else shows is checked.
 */
function timerNoticeProblems(
  notices: NoticeView[],
  visible: AppliedEvent[],
  conversation: Conversation,
  where: string,
): string[] {
  const logged = new Map(
    visible
      .filter((event) => event.kind === 'disappearing_timer_set' || event.kind === 'disappearing_policy_set')
      .map((event) => [event.seq, event.kind]),
  );
  const shown = notices.filter((notice) => notice.kind === 'disappearing_timer_set' || notice.kind === 'disappearing_policy_set');
  const problems = shown
    .filter((notice) => logged.get(notice.seq) !== notice.kind)
    .map((notice) => `${where}: shows a ${notice.kind} notice at seq ${notice.seq} that its part of the log does not have`);
  if (conversation.kind === 'direct' && shown.length !== logged.size)
    problems.push(`${where}: shows ${shown.length} disappearing-message notices, its part of the log has ${logged.size}`);
  return problems;
}

/**
 * Every message the person can scroll to, page by page (older pages by beforeSeq), oldest first,
 * and every membership notice shown with those pages, once each, in seq order.
 */
async function wholeHistory(
  device: SimDevice,
  conversationId: string,
): Promise<{ messages: MessageView[]; notices: NoticeView[] }> {
  const pages: MessageView[][] = [];
  const notices = new Map<number, NoticeView>();
  let beforeSeq: number | undefined;
  for (;;) {
    const page = await device.core.listMessages({ conversationId, limit: 1000, ...(beforeSeq ? { beforeSeq } : {}) });
    pages.unshift(page.messages);
    for (const notice of page.notices) notices.set(notice.seq, notice);
    const oldest = page.messages.find((view) => view.seq !== null)?.seq;
    if (!page.hasOlder || !oldest)
      return { messages: pages.flat(), notices: [...notices.values()].sort((a, b) => a.seq - b.seq) };
    beforeSeq = oldest;
  }
}

/** The parts of a MessageView that must agree across devices. */
function shown(view: MessageView, withStatus: boolean) {
  return {
    seq: view.seq,
    senderId: view.senderId,
    text: view.text,
    at: view.at,
    edited: view.edited,
    deleted: view.deleted,
    replyTo: view.replyTo && {
      messageId: view.replyTo.messageId,
      available: view.replyTo.available,
      text: view.replyTo.text,
      deleted: view.replyTo.deleted,
    },
    reactions: view.reactions.map((reaction) => ({ emoji: reaction.emoji, count: reaction.count, mine: reaction.mine })),
    attachments: view.attachments.map((file) => `${file.sha256}:${file.size}:${file.name}`),
    pinned: view.pinned,
    poll: view.poll && {
      voters: view.poll.options.map((option) => option.voters.map((voter) => voter.id).sort()),
      ended: view.poll.ended,
    },
    status: withStatus ? view.status : null,
  };
}

function expectedView(message: ExpectedMessage, viewerId: string, conversation: Conversation): ReturnType<typeof shown> {
  return {
    seq: message.seq,
    senderId: message.senderId,
    text: message.text,
    at: message.at,
    edited: message.edited,
    deleted: message.deleted,
    replyTo: message.replyTo && {
      messageId: message.replyTo.messageId,
      available: message.replyTo.available,
      text: message.replyTo.text,
      deleted: message.replyTo.deleted,
    },
    reactions: message.reactions.map((reaction) => ({
      emoji: reaction.emoji,
      count: reaction.userIds.length,
      mine: reaction.userIds.includes(viewerId),
    })),
    attachments: message.attachments,
    pinned: message.pinned,
    poll: message.poll,
    // A former member's ticks rest on what their mirror last knew of the others: nothing to compare.
    status: message.senderId === viewerId && conversation.isMember ? expectedStatus(conversation, viewerId, message.seq) : null,
  };
}
