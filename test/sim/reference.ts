import type { Conversation } from '../../sync/protocol/frames.js';
import type { AppliedEvent } from '../../sync/content/opened-events.js';
import { displayedSize } from '../../sync/protocol/attachments.js';

/**
 * What every device should show for a conversation, folded independently from the server's
 * event log: current text (last edit wins, by seq), deleted (absorbing: text, history and
 * reactions go), reactions (last event wins per person and emoji), reply quotes, edit history,
 * attachments (gone with a delete), pins (the latest pin event wins, by seq; gone with a delete), and the status of the viewer's own messages from the other
 * members' watermarks.
 * It is a second implementation of the rules in docs/protocol.md §9, written for clarity.
 */

export interface ExpectedMessage {
  id: string;
  seq: number;
  senderId: string;
  text: string;
  at: number;
  edited: boolean;
  deleted: boolean;
  /**
   * Deleted by an event outside the reader's part of the log (after they left, or while they were
   * away): the server purged the message's text from the log, so a device that got it before shows
   * its old state, one that got it after shows it deleted; both are right.
   */
  deletedUnseen: boolean;
  /** `available` false: the quoted message is not in this reader's part of the log. */
  replyTo: { messageId: string; available: boolean; text: string; deleted: boolean; deletedUnseen: boolean } | null;
  reactions: Array<{ emoji: string; userIds: string[] }>;
  history: Array<{ text: string; at: number }>;
  /** Its files as `sha256:size:name`, in order; none once deleted. */
  attachments: string[];
  /** Pinned now: its latest pin event pins it, and it was not deleted. */
  pinned: boolean;
  /** A poll: per option, who chose it (ids, sorted), and whether its author ended it; null for any other message. */
  poll: { voters: string[][]; ended: boolean } | null;
  /** The disappearing-message timer it was written with; null when it does not disappear. */
  expiresInMs: number | null;
}

interface FoldedPoll {
  options: string[];
  multiple: boolean;
  /** Each person's latest vote that takes effect, by seq. */
  votes: Map<string, { choices: number[]; seq: number }>;
  /** The seq of the first end; null while open. */
  endSeq: number | null;
}

interface Folded {
  id: string;
  seq: number;
  senderId: string;
  sentAt: number;
  replyTo: string | null;
  text: string;
  deleted: boolean;
  versions: Array<{ text: string; at: number }>;
  /** `userId emoji` → latest reaction event. */
  reactions: Map<string, { userId: string; emoji: string; seq: number; on: boolean }>;
  /** A delete event for it is in the events folded. */
  deleteSeen: boolean;
  attachments: string[];
  pinned: boolean;
  poll: FoldedPoll | null;
  expiresInMs: number | null;
}

/**
 * `events`: a whole log, or (partial) the part one reader may see, where a change may name a
 * message from outside it: that change shows nowhere for them.
 */
export function expectedMessages(events: readonly AppliedEvent[], partial = false): ExpectedMessage[] {
  const messages = new Map<string, Folded>();
  for (const event of events) {
    if (event.kind === 'message') {
      // A v1 database may hold a duplicate id; the earliest keeps the identity.
      if (messages.has(event.clientMessageId)) continue;
      messages.set(event.clientMessageId, {
        id: event.clientMessageId,
        seq: event.seq,
        senderId: event.senderId,
        sentAt: event.sentAt,
        replyTo: event.replyTo,
        text: event.deleted ? '' : event.text,
        deleted: event.deleted,
        versions: [],
        reactions: new Map(),
        deleteSeen: false,
        // Sizes as people see them: a sealed file's less its header and tags, as the views show it.
        attachments: event.attachments.map((file) => `${file.sha256}:${displayedSize(file)}:${file.name}`),
        pinned: false,
        poll: event.poll && !event.deleted ? { ...event.poll, votes: new Map(), endSeq: null } : null,
        expiresInMs: event.expiresInMs ?? null,
      });
      continue;
    }
    // Membership events change no message (group-reference.ts folds them).
    if (
      event.kind !== 'edit' &&
      event.kind !== 'delete' &&
      event.kind !== 'reaction' &&
      event.kind !== 'pin' &&
      event.kind !== 'message_state'
    )
      continue;
    const target = messages.get(event.messageId);
    if (!target && partial) continue;
    if (!target) throw new Error(`The server log has ${event.kind} seq ${event.seq} before its message ${event.messageId}`);
    if (event.kind === 'delete') target.deleteSeen = true;
    if (target.deleted) continue;
    switch (event.kind) {
      case 'edit':
        // A poll's question is never edited: every device refuses it.
        if (target.poll) break;
        if (target.versions.length === 0) target.versions.push({ text: target.text, at: target.sentAt });
        target.versions.push({ text: event.text, at: event.sentAt });
        target.text = event.text;
        break;
      case 'delete':
        target.deleted = true;
        target.text = '';
        target.replyTo = null;
        target.versions = [];
        target.reactions.clear();
        target.attachments = [];
        target.pinned = false;
        target.poll = null;
        break;
      case 'pin':
        target.pinned = event.on;
        break;
      case 'message_state': {
        const { poll } = target;
        const { state } = event;
        // The reference keeps polls' tallies; a live location's moves are checked by their own tests.
        if (!poll || (state.kind !== 'poll_vote' && state.kind !== 'poll_end')) break;
        if (state.kind === 'poll_end') {
          if (event.senderId === target.senderId && poll.endSeq === null) poll.endSeq = event.seq;
          break;
        }
        const fits =
          (poll.multiple || state.choices.length <= 1) && state.choices.every((choice) => choice < poll.options.length);
        const earlier = poll.votes.get(event.senderId);
        if (fits && (!earlier || earlier.seq < event.seq))
          poll.votes.set(event.senderId, { choices: state.choices, seq: event.seq });
        break;
      }
      case 'reaction':
        target.reactions.set(`${event.senderId} ${event.emoji}`, {
          userId: event.senderId,
          emoji: event.emoji,
          seq: event.seq,
          on: event.on,
        });
        break;
    }
  }
  return [...messages.values()]
    .sort((a, b) => a.seq - b.seq)
    .map((message) => {
      const quoted = message.replyTo === null ? null : messages.get(message.replyTo);
      return {
        id: message.id,
        seq: message.seq,
        senderId: message.senderId,
        text: message.text,
        at: message.sentAt,
        edited: message.versions.length > 0 && !message.deleted,
        deleted: message.deleted,
        deletedUnseen: message.deleted && !message.deleteSeen,
        replyTo:
          message.replyTo === null
            ? null
            : {
                messageId: message.replyTo,
                available: quoted !== undefined,
                text: quoted?.text ?? '',
                deleted: quoted?.deleted ?? false,
                deletedUnseen: !!quoted && quoted.deleted && !quoted.deleteSeen,
              },
        reactions: groupReactions(message),
        attachments: message.attachments,
        pinned: message.pinned,
        poll: message.poll && pollCounts(message.poll),
        expiresInMs: message.expiresInMs,
        history: message.deleted
          ? []
          : message.versions.length > 0
            ? message.versions
            : [{ text: message.text, at: message.sentAt }],
      };
    });
}

/** Who chose each option: the votes that came before the end (by seq), each person's latest. */
function pollCounts(poll: FoldedPoll): NonNullable<ExpectedMessage['poll']> {
  const voters = poll.options.map((): string[] => []);
  for (const [userId, vote] of poll.votes) {
    if (poll.endSeq !== null && vote.seq > poll.endSeq) continue;
    for (const choice of vote.choices) voters[choice]!.push(userId);
  }
  return { voters: voters.map((ids) => ids.sort()), ended: poll.endSeq !== null };
}

/** One entry per emoji in order of the earliest standing reaction event, with who has it. */
function groupReactions(message: Folded): ExpectedMessage['reactions'] {
  const standing = [...message.reactions.values()].filter((reaction) => reaction.on).sort((a, b) => a.seq - b.seq);
  const byEmoji = new Map<string, string[]>();
  for (const reaction of standing) byEmoji.set(reaction.emoji, [...(byEmoji.get(reaction.emoji) ?? []), reaction.userId]);
  return [...byEmoji.entries()].map(([emoji, userIds]) => ({ emoji, userIds }));
}

/**
 * The status the viewer's own message should show, from the other current members' server
 * watermarks: read once all of them read it, delivered once all of them have it; with nobody
 * else left, sent.
 */
export function expectedStatus(conversation: Conversation, viewerId: string, seq: number): 'sent' | 'delivered' | 'read' {
  const others = conversation.members.filter((member) => member.id !== viewerId);
  if (others.length === 0) return 'sent';
  if (others.every((member) => member.readSeq >= seq)) return 'read';
  if (others.every((member) => member.deliveredSeq >= seq)) return 'delivered';
  return 'sent';
}
