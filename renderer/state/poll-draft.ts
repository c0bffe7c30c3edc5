/**
 * The "New poll" dialog's rules, pure: what it sends (blank options left out) and which options
 * repeat another. Checked with the contract's own schemas (sync/common/polls.ts), so the dialog
 * offers Send exactly when the core would take the poll.
 */
import { POLL_LIMITS, pollOptions, pollQuestion } from '../../sync/common/polls.js';

export interface PollDraft {
  question: string;
  /** As typed, in order; blank ones are left out when sending. */
  options: readonly string[];
  multiple: boolean;
}

export interface PollToSend {
  question: string;
  options: string[];
  multiple: boolean;
}

/** The poll to send, trimmed and without blank options; null while the draft is not one the core takes. */
export function pollToSend(draft: PollDraft): PollToSend | null {
  const question = pollQuestion.safeParse(draft.question);
  const options = pollOptions.safeParse(draft.options.map((option) => option.trim()).filter((option) => option !== ''));
  if (!question.success || !options.success) return null;
  return { question: question.data, options: options.data, multiple: draft.multiple };
}

/** The places of options that repeat an earlier one, as the contract compares them (trimmed, any case). */
export function repeatedOptions(options: readonly string[]): Set<number> {
  const seen = new Set<string>();
  const repeated = new Set<number>();
  options.forEach((option, index) => {
    const key = option.trim().toLocaleLowerCase();
    if (key === '') return;
    if (seen.has(key)) repeated.add(index);
    seen.add(key);
  });
  return repeated;
}

export function mayAddOption(count: number): boolean {
  return count < POLL_LIMITS.maxOptions;
}
