/**
 * Optimistic changes to messages: how an edit, delete, reaction, vote, poll's end or dropped
 * failure looks before the core confirms it, and the overlay that keeps those looks over refetches
 * until they settle.
 */
import type { MessageView } from '../../sync/app-api/contract.js';
import type { PollVoterView } from '../../sync/app-api/polls-api.js';

export type Patch = (message: MessageView) => MessageView;

/** The optimistic look of each change; all idempotent, so applying one twice changes nothing. */
export const patches = {
  edit:
    (text: string): Patch =>
    (m) =>
      m.text === text ? m : { ...m, text },
  delete: (): Patch => (m) => (m.deleted ? m : { ...m, deleted: true, text: '', edited: false, reactions: [], replyTo: null }),
  reaction:
    (emoji: string, on: boolean): Patch =>
    (m) => {
      const existing = m.reactions.find((r) => r.emoji === emoji);
      if (on) {
        if (existing?.mine) return m;
        const reactions = existing
          ? m.reactions.map((r) => (r.emoji === emoji ? { ...r, count: r.count + 1, mine: true } : r))
          : [...m.reactions, { emoji, count: 1, mine: true }];
        return { ...m, reactions };
      }
      if (!existing?.mine) return m;
      const reactions =
        existing.count <= 1
          ? m.reactions.filter((r) => r.emoji !== emoji)
          : m.reactions.map((r) => (r.emoji === emoji ? { ...r, count: r.count - 1, mine: false } : r));
      return { ...m, reactions };
    },
  dropFailure:
    (changeId: string): Patch =>
    (m) =>
      m.failedChanges.some((c) => c.changeId === changeId)
        ? { ...m, failedChanges: m.failedChanges.filter((c) => c.changeId !== changeId) }
        : m,
  retrying: (): Patch => (m) => (m.status === 'sending' && m.error === null ? m : { ...m, status: 'sending', error: null }),
  /** `voter` (this person) chose `choices`, by index; none withdraws the vote. */
  vote:
    (choices: readonly number[], voter: PollVoterView): Patch =>
    (m) => {
      const poll = m.poll;
      if (!poll || sameChoices(poll.mine, choices)) return m;
      const options = poll.options.map((option, index) => {
        const others = option.voters.filter((v) => v.id !== voter.id);
        return { ...option, voters: choices.includes(index) ? [...others, voter] : others };
      });
      const people = poll.people - (poll.mine.length > 0 ? 1 : 0) + (choices.length > 0 ? 1 : 0);
      return { ...m, poll: { ...poll, options, mine: [...choices], people: Math.max(people, 0), pending: true } };
    },
  endPoll: (): Patch => (m) => (!m.poll || m.poll.ended ? m : { ...m, poll: { ...m.poll, ended: true, pending: true } }),
};

/** The same options, in any order (a vote names each option at most once). */
function sameChoices(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((choice) => b.includes(choice));
}

/** Patches per message id, in the order they were made. */
export class Overlay {
  private readonly byMessage = new Map<string, Patch[]>();

  /** Adds a patch; the returned function takes it away again. */
  add(messageId: string, patch: Patch): () => void {
    const list = this.byMessage.get(messageId) ?? [];
    list.push(patch);
    this.byMessage.set(messageId, list);
    return () => {
      const index = list.indexOf(patch);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0 && this.byMessage.get(messageId) === list) this.byMessage.delete(messageId);
    };
  }

  apply(message: MessageView): MessageView {
    const list = this.byMessage.get(message.id);
    return list ? list.reduce((m, patch) => patch(m), message) : message;
  }

  clear(): void {
    this.byMessage.clear();
  }
}
