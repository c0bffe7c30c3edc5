/**
 * The client core's part of the app API about disappearing messages (app-api/disappearing-api.ts);
 * the core spreads it in (client-core.ts: apiParts).
 */
import type { AppApi } from '../../app-api/contract.js';
import type { disappearingApiArgs } from '../../app-api/disappearing-api.js';
import type { Composing } from './composing.js';

export type DisappearingApi = Pick<AppApi, keyof typeof disappearingApiArgs>;

export function disappearingApi({ queue }: Composing): DisappearingApi {
  return {
    setDisappearingTimer: async ({ conversationId, timerMs }) =>
      queue(conversationId, (composer) => composer.setDisappearing(conversationId, { kind: 'disappearing_timer', timerMs })),
    setDisappearingPolicy: async ({ conversationId, everyone }) =>
      queue(conversationId, (composer) => composer.setDisappearing(conversationId, { kind: 'disappearing_policy', everyone })),
  };
}
