/** Your sessions (the devices signed in to your account) and your password: each needs the server. */
import type { AppActions, StoreKit } from './types.js';

type SessionActions = Pick<AppActions, 'loadSessions' | 'endSession' | 'endOtherSessions' | 'changePassword'>;

export function createSessions(kit: StoreKit) {
  const { api } = kit;
  const actions: SessionActions = {
    loadSessions: () => api.listSessions({}),
    endSession: (sessionId) => api.endSession({ sessionId }).then(() => undefined),
    endOtherSessions: () => api.endOtherSessions({}).then((result) => result.ended),
    changePassword: (currentPassword, newPassword) =>
      api.changePassword({ currentPassword, newPassword }).then((result) => result.ended),
  };
  return { actions };
}
