/**
 * Polls (issue 33) as content. The poll itself is a message (content.ts: `message.poll`, its text
 * the question); a vote and the end are content that changes it, kept per message in the mirror's
 * message state and counted by seq (common/polls.ts), so every device shows the same tallies.
 */
import { z } from 'zod';
import { pollChoices, choicesFit } from '../../common/polls.js';
import { id as messageId } from '../../protocol/wire-types.js';
import type { MessageStateKind } from './message-state-kind.js';

/** A person's vote, replacing their earlier one; no choices withdraws it. */
export const pollVoteSchema = z.object({ kind: z.literal('poll_vote'), messageId, choices: pollChoices });
export type PollVote = z.infer<typeof pollVoteSchema>;

/** The poll's author ends it: votes after this, by seq, do not count. */
export const pollEndSchema = z.object({ kind: z.literal('poll_end'), messageId });
export type PollEnd = z.infer<typeof pollEndSchema>;

export const pollVoteKind: MessageStateKind<PollVote> = {
  schema: pollVoteSchema,
  // Each person keeps one vote, their latest (a vote after the end is kept but not counted).
  holder: 'sender',
  keeps: 'latest',
  refuse(vote, _sender, target) {
    if (target.deleted) return 'message_deleted';
    if (!target.poll || !choicesFit(target.poll, vote.choices)) return 'not_allowed';
    return null;
  },
  value: (vote) => ({ choices: vote.choices }),
};

export const pollEndKind: MessageStateKind<PollEnd> = {
  schema: pollEndSchema,
  // The first end stands: a second (from another of the author's devices) changes nothing.
  holder: 'message',
  keeps: 'first',
  refuse(_end, sender, target) {
    if (!target.poll) return 'not_allowed';
    return target.authorId === sender.id ? null : 'not_author';
  },
  value: () => ({}),
};

/** What the mirror keeps of a vote, read back and checked (a row that does not parse counts as no vote). */
export const storedVoteSchema = z.object({ choices: pollChoices });
