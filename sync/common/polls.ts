/**
 * A poll's shape and how its votes add up (issue 33), pure so that the content rules, the mirror's
 * views and the renderer agree on every count. Votes converge by the conversation's seq, the order
 * the server gave and every device sees: a person's vote is their latest, and one made after the
 * poll's end does not count, whatever order a catch-up brought them in.
 */
import { z } from 'zod';
import { wellFormed, WELL_FORMED } from '../protocol/wire-types.js';

export const POLL_LIMITS = {
  minOptions: 2,
  maxOptions: 12,
  maxOptionChars: 100,
  maxQuestionChars: 300,
} as const;

const plainText = (max: number) => z.string().trim().min(1).max(max).refine(wellFormed, WELL_FORMED);

export const pollQuestion = plainText(POLL_LIMITS.maxQuestionChars);
export const pollOptions = z
  .array(plainText(POLL_LIMITS.maxOptionChars))
  .min(POLL_LIMITS.minOptions)
  .max(POLL_LIMITS.maxOptions)
  .refine(
    (options) => new Set(options.map((option) => option.toLocaleLowerCase())).size === options.length,
    'options must differ',
  );

/** The options a vote names, by index; none withdraws the vote. */
export const pollChoices = z
  .array(
    z
      .number()
      .int()
      .min(0)
      .max(POLL_LIMITS.maxOptions - 1),
  )
  .max(POLL_LIMITS.maxOptions)
  .refine((choices) => new Set(choices).size === choices.length, 'each option at most once');

/** What a poll asks besides its question (which is the message's text). */
export const pollDefinitionSchema = z.object({ options: pollOptions, multiple: z.boolean() });
export type PollDefinition = z.infer<typeof pollDefinitionSchema>;

/** Whether `choices` is a vote this poll takes: options it has, one at most unless it allows several. */
export function choicesFit(poll: PollDefinition, choices: readonly number[]): boolean {
  if (!poll.multiple && choices.length > 1) return false;
  return choices.every((choice) => choice < poll.options.length);
}

/** A person's latest vote as stored: their choices and the seq it came at. */
export interface Ballot {
  voterId: string;
  choices: readonly number[];
  seq: number;
}

export interface PollTally {
  /** Per option, in the poll's order: who chose it. */
  voters: string[][];
  /** How many people's votes count (a person who chose several counts once). */
  people: number;
}

/**
 * What the votes come to: each person's latest ballot, counted only if it came before the end
 * (`endSeq`, null while the poll is open). Ballots may be given in any order.
 */
export function tallyPoll(poll: PollDefinition, ballots: readonly Ballot[], endSeq: number | null): PollTally {
  const latest = new Map<string, Ballot>();
  for (const ballot of ballots) {
    if (endSeq !== null && ballot.seq > endSeq) continue;
    const kept = latest.get(ballot.voterId);
    if (!kept || ballot.seq > kept.seq) latest.set(ballot.voterId, ballot);
  }
  const voters: string[][] = poll.options.map(() => []);
  let people = 0;
  for (const ballot of [...latest.values()].sort((a, b) => a.seq - b.seq)) {
    const fitting = choicesFit(poll, ballot.choices) ? ballot.choices : [];
    if (fitting.length === 0) continue;
    people += 1;
    for (const choice of fitting) voters[choice]!.push(ballot.voterId);
  }
  return { voters, people };
}
