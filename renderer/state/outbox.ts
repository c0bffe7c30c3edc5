/**
 * The outbox inspector's view of the outbox (Settings → "Outbox"): read while the dialog is open
 * (watchOutbox), again on every 'outbox' event and connection change (an item's state depends on
 * the connection), and after "Retry now" and "Discard". Nobody watching: nothing is read.
 */
import { coalesce } from './coalesce.js';
import { reuse } from './equal.js';
import { describeError } from './errors.js';
import type { OutboxListing } from '../../sync/app-api/outbox-api.js';
import type { AppActions, OutboxState, StoreKit } from './types.js';

export function createOutbox(kit: StoreKit) {
  const { api, get, set } = kit;
  let watchers = 0;

  const refresh = coalesce(async () => {
    if (watchers === 0 || !kit.userId()) return;
    const previous = get().outbox;
    try {
      const listing = await api.listOutbox();
      if (watchers === 0) return;
      const next: OutboxState = { listing: kept(previous?.listing ?? null, listing), error: null };
      if (previous?.listing !== next.listing || previous.error !== null) set({ outbox: next });
    } catch (error) {
      if (watchers > 0) set({ outbox: { listing: previous?.listing ?? null, error: describeError(error) } });
    }
  });

  const actions: Pick<AppActions, 'watchOutbox' | 'retryOutboxItem' | 'discardOutboxItem'> = {
    watchOutbox() {
      watchers += 1;
      if (watchers === 1) set({ outbox: { listing: null, error: null } });
      void refresh();
      let watching = true;
      return () => {
        if (!watching) return;
        watching = false;
        watchers -= 1;
        if (watchers === 0) set({ outbox: null });
      };
    },
    async retryOutboxItem(id) {
      try {
        await api.retryOutboxItem({ id });
      } finally {
        await refresh();
      }
    },
    async discardOutboxItem(id) {
      try {
        await api.discardOutboxItem({ id });
      } finally {
        await refresh();
      }
    },
  };

  return {
    actions,
    refresh,
    reset() {
      // Signed out: an open dialog shows nothing of the last account.
      if (watchers > 0) set({ outbox: { listing: null, error: null } });
    },
  };
}

/** `next`, keeping the previous listing, or each unchanged item of it (memoised rows skip rendering). */
function kept(previous: OutboxListing | null, next: OutboxListing): OutboxListing {
  if (!previous) return next;
  const items = reuse(previous.items, next.items, (item) => item.id);
  return items === previous.items && previous.total === next.total ? previous : { items, total: next.total };
}
