/**
 * Disappearing messages (issue 33): a conversation's timer and, in a group, who may set it. The
 * core applies a change to what it returns (the info, the list's summary, the notice in the
 * history), so each save is followed by re-reading those, as a group change is.
 */
import type { DisappearingView } from '../../sync/app-api/disappearing-api.js';
import type { AppActions, DisappearingEdits, StoreKit } from './types.js';

/**
 * The changes Save makes: what the person changed that differs from the setting now. Someone else
 * may have changed it while the dialog was open; what this person left alone is not sent back.
 */
export function disappearingChanges(view: DisappearingView | null, edits: DisappearingEdits): DisappearingEdits {
  const changes: DisappearingEdits = {};
  if (edits.timerMs !== undefined && edits.timerMs !== view?.timerMs) changes.timerMs = edits.timerMs;
  if (edits.everyone !== undefined && edits.everyone !== view?.everyoneMaySet) changes.everyone = edits.everyone;
  return changes;
}

interface Deps {
  /** After a change: the info, the list and the open history (where its notice shows). */
  changed: () => void;
}

export function createDisappearing(kit: StoreKit, deps: Deps) {
  const { api, get } = kit;

  const actions: Pick<AppActions, 'saveDisappearing'> = {
    async saveDisappearing(conversationId, edits) {
      const info = get().info;
      const changes = disappearingChanges(info?.conversationId === conversationId ? info.view.disappearing : null, edits);
      if (changes.timerMs === undefined && changes.everyone === undefined) return;
      try {
        if (changes.timerMs !== undefined) await api.setDisappearingTimer({ conversationId, timerMs: changes.timerMs });
        if (changes.everyone !== undefined) await api.setDisappearingPolicy({ conversationId, everyone: changes.everyone });
      } finally {
        deps.changed();
      }
    },
  };

  return { actions };
}
