/**
 * The app API's calls about polls (issue 33): a poll is a message whose text is its question;
 * votes and its end are sealed content like reactions, queued offline and converging by seq
 * (common/polls.ts). Declared here and spread into contract.ts, as calls-api.ts is.
 *
 * Pure: the renderer imports it.
 */
import { z } from 'zod';
import { LIMITS } from '../protocol/limits.js';
import { pollChoices, pollOptions, pollQuestion } from '../common/polls.js';

const id = z.string().min(1).max(LIMITS.maxIdChars);

export const pollsApiArgs = {
  /** Sends a poll (a message with options); offline it is queued like any message. */
  sendPoll: z.object({ conversationId: id, question: pollQuestion, options: pollOptions, multiple: z.boolean() }).strict(),
  /**
   * This person's vote on a poll, replacing their earlier one; no choices withdraws it. Refused:
   * 'poll_ended' once the poll's end is known here, 'not_allowed' for choices the poll does not take.
   */
  votePoll: z.object({ conversationId: id, messageId: id, choices: pollChoices }).strict(),
  /** Ends a poll of this person's: votes after it do not count. Refused 'not_author' for someone else's. */
  endPoll: z.object({ conversationId: id, messageId: id }).strict(),
} as const;

export interface PollsApiResults {
  votePoll: null;
  endPoll: null;
}

/** Someone who chose an option, as "View votes" lists them. */
export interface PollVoterView {
  id: string;
  name: string;
}

export interface PollOptionView {
  text: string;
  /** Everyone whose vote counts for it, this person's queued vote applied. */
  voters: PollVoterView[];
}

/** A poll as its message shows it (MessageView.poll); the question is the message's text. */
export interface PollView {
  options: PollOptionView[];
  /** Several options may be chosen (checkboxes); otherwise one (radio buttons). */
  multiple: boolean;
  /** Its author ended it: the counts are final and nobody can vote. */
  ended: boolean;
  /** How many people voted (someone who chose several options counts once). */
  people: number;
  /** The options this person chose, by index (their queued vote applied). */
  mine: number[];
  /** This person's latest vote or the end is queued, not confirmed by the server yet. */
  pending: boolean;
}
