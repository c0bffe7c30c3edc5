/**
 * Members, roles and name of the open conversation, and the changes a member makes to a group.
 * The core applies queued changes to what it returns, so nothing optimistic is needed here: each
 * change is followed by re-reading the info, the list and the history (where its notice shows).
 */
import type { ConversationInfo } from '../../sync/app-api/contract.js';
import { coalesce } from './coalesce.js';
import { keep } from './equal.js';
import { describeError } from './errors.js';
import type { AppActions, StoreKit } from './types.js';

type GroupActions = Pick<
  AppActions,
  'addMembers' | 'removeMember' | 'leaveGroup' | 'renameGroup' | 'setRole' | 'retryGroupChange' | 'discardGroupChange'
>;

interface Deps {
  /** After a change: the list and the open history may show it. */
  changed: () => void;
}

export function createGroupInfo(kit: StoreKit, deps: Deps) {
  const { api, get, set } = kit;

  const refresh = coalesce(async () => {
    const id = get().open?.id;
    if (!id || !kit.userId()) return;
    try {
      const view = await api.getConversationInfo({ conversationId: id });
      if (get().open?.id !== id) return;
      const previous = get().info;
      const next: ConversationInfo = previous?.conversationId === id ? keep(previous.view, view) : view;
      if (previous?.conversationId !== id || previous.view !== next) set({ info: { conversationId: id, view: next } });
    } catch (error) {
      console.warn('getConversationInfo failed', error);
    }
  });

  /** Runs a change to the open conversation; throws what the core said. */
  const groupChange = async (call: (conversationId: string) => Promise<unknown>) => {
    const id = get().open?.id;
    if (!id) return;
    try {
      await call(id);
    } finally {
      void refresh();
      deps.changed();
    }
  };

  /** Retry / dismiss: failures show as a notice instead. */
  const settleFailure = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (error) {
      set({ notice: describeError(error) });
    }
    void refresh();
    deps.changed();
  };

  const actions: GroupActions = {
    addMembers: (userIds) => groupChange((conversationId) => api.addMembers({ conversationId, userIds })),
    removeMember: (userId) => groupChange((conversationId) => api.removeMember({ conversationId, userId })),
    leaveGroup: () => groupChange((conversationId) => api.leaveGroup({ conversationId })),
    renameGroup: (name) => groupChange((conversationId) => api.renameGroup({ conversationId, name })),
    setRole: (userId, role) => groupChange((conversationId) => api.setRole({ conversationId, userId, role })),
    retryGroupChange: (changeId) => settleFailure(() => api.retryChange({ changeId })),
    discardGroupChange: (changeId) => settleFailure(() => api.discardChange({ changeId })),
  };

  return {
    actions,
    refresh,
    reset() {
      set({ info: null });
    },
  };
}
