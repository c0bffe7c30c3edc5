/** Typing and presence (or, in a group, how many members are online) for the open conversation. */
import { LIMITS } from '../../sync/protocol/limits.js';
import { coalesce } from './coalesce.js';
import { keep } from './equal.js';
import type { AppActions, ConversationActivity, StoreKit } from './types.js';

export function createActivity(kit: StoreKit) {
  const { api, get, set } = kit;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const stopTimer = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };

  const refresh = coalesce(async () => {
    const id = get().open?.id;
    if (!id || !kit.userId()) return;
    stopTimer();
    try {
      const view = await api.getActivity({ conversationId: id });
      if (get().open?.id !== id) return;
      const previous = get().activity;
      const next: ConversationActivity = { ...view, conversationId: id };
      if (previous === null || keep(previous, next) !== previous) set({ activity: next });
      // The core says when typing stops; should that word be lost, look again once it must have.
      if (next.typing.length > 0) timer = setTimeout(() => void refresh(), LIMITS.typingTtlMs + 500);
    } catch (error) {
      console.warn('getActivity failed', error);
    }
  });

  const actions: Pick<AppActions, 'setTyping'> = {
    setTyping() {
      const id = get().open?.id;
      if (!id) return;
      // Best effort: offline (or a lost bridge) simply means nobody is told.
      api.setTyping({ conversationId: id }).catch(() => {});
    },
  };

  return {
    actions,
    refresh,
    reset() {
      stopTimer();
      set({ activity: null });
    },
    dispose: stopTimer,
  };
}
