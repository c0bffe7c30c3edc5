/**
 * The open conversation's pinned messages (the pinned bar), the most recently pinned first, and
 * pinning or unpinning a message. Re-read when the open conversation's messages change (a pin is a
 * conversation event, like an edit) and after each of your own pins.
 */
import type { PinnedMessageView } from '../../sync/app-api/contract.js';
import { coalesce } from './coalesce.js';
import { keep } from './equal.js';
import { describeError } from './errors.js';
import type { AppActions, OpenPins, StoreKit } from './types.js';

/** Which pin the bar was moved on to, and which pin was the newest then. */
export interface PinChoice {
  shownId: string;
  newestId: string;
}

/**
 * The pin the bar shows (its index in `pins`, newest first): the newest, or the one clicking moved
 * it on to, until that one is unpinned or the newest changes (someone pins another: it is shown).
 */
export function shownPinIndex(pins: readonly PinnedMessageView[], choice: PinChoice | null): number {
  if (choice === null || pins[0]?.messageId !== choice.newestId) return 0;
  const found = pins.findIndex((pin) => pin.messageId === choice.shownId);
  return found < 0 ? 0 : found;
}

interface Deps {
  /** A pin changes the message's `pinned` flag too. */
  refreshMessages: () => Promise<void>;
}

export function createPins(kit: StoreKit, deps: Deps) {
  const { api, get, set } = kit;

  const refresh = coalesce(async () => {
    const id = get().open?.id;
    if (!id || !kit.userId()) return;
    try {
      const list = await api.listPinnedMessages({ conversationId: id });
      if (get().open?.id !== id) return;
      const previous = get().pins;
      const next: OpenPins = { conversationId: id, list };
      if (previous === null || keep(previous, next) !== previous) set({ pins: next });
    } catch (error) {
      console.warn('listPinnedMessages failed', error);
    }
  });

  const actions: Pick<AppActions, 'pinMessage'> = {
    async pinMessage(messageId, on) {
      const id = get().open?.id;
      if (!id) return;
      try {
        await api.pinMessage({ conversationId: id, messageId, on });
      } catch (error) {
        set({ notice: describeError(error) });
      }
      await Promise.all([refresh(), deps.refreshMessages()]);
    },
  };

  return {
    actions,
    refresh,
    reset() {
      set({ pins: null });
    },
  };
}
