/**
 * Polls in the open conversation (issue 33): sending one, voting and ending it. A vote or an end
 * shows at once, laid over the message like a reaction (optimistic.ts), until the core's view of
 * it has landed.
 */
import type { MessageView } from '../../sync/app-api/contract.js';
import type { PollView } from '../../sync/app-api/polls-api.js';
import type { ChangeMessage } from './messages.js';
import { patches } from './optimistic.js';
import type { PollActions, StoreKit } from './types.js';

interface Deps {
  change: ChangeMessage;
  showSent: (message: MessageView) => Promise<void>;
}

/**
 * The vote after choosing (`on`) or unchoosing option `index`: a single-choice poll's vote is that
 * one option; with several allowed it is added to or taken from this person's choices.
 */
export function choicesAfter(poll: Pick<PollView, 'multiple' | 'mine'>, index: number, on: boolean): number[] {
  if (!poll.multiple) return on ? [index] : [];
  const others = poll.mine.filter((choice) => choice !== index);
  return (on ? [...others, index] : others).sort((a, b) => a - b);
}

export function createPolls(kit: StoreKit, deps: Deps): { actions: PollActions } {
  const { api, get } = kit;
  const openId = () => get().open?.id ?? null;

  const actions: PollActions = {
    async sendPoll(conversationId, question, options, multiple) {
      const message = await api.sendPoll({ conversationId, question, options, multiple });
      if (openId() === conversationId) await deps.showSent(message);
      return message;
    },

    async votePoll(messageId, choices) {
      const conversationId = openId();
      const user = get().session?.user;
      if (!conversationId || !user) return;
      const patch = patches.vote(choices, { id: user.id, name: user.displayName });
      await deps.change(messageId, patch, () => api.votePoll({ conversationId, messageId, choices }));
    },

    async endPoll(messageId) {
      const conversationId = openId();
      if (!conversationId) return;
      await deps.change(messageId, patches.endPoll(), () => api.endPoll({ conversationId, messageId }));
    },
  };

  return { actions };
}
