/** The client core's part of the app API about polls (app-api/polls-api.ts); the core spreads it in (client-core.ts: apiParts). */
import type { AppApi } from '../../app-api/contract.js';
import type { pollsApiArgs } from '../../app-api/polls-api.js';
import type { Composing } from './composing.js';

export type PollsApi = Pick<AppApi, keyof typeof pollsApiArgs>;

export function pollsApi({ queue, send }: Composing): PollsApi {
  return {
    sendPoll: async ({ conversationId, question, options, multiple }) => {
      const poll = { options: options.map((option) => option.trim()), multiple };
      return send(conversationId, (composer) => composer.sendPoll(conversationId, question.trim(), poll));
    },
    votePoll: async ({ conversationId, messageId, choices }) =>
      queue(conversationId, (composer) => composer.vote(conversationId, messageId, choices)),
    endPoll: async ({ conversationId, messageId }) =>
      queue(conversationId, (composer) => composer.endPoll(conversationId, messageId)),
  };
}
