import { describe, expect, it } from 'vitest';
import type { OutboxItemView } from '../../../sync/app-api/outbox-api.js';
import { FakeApi, settle, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();

function item(id: string, overrides: Partial<OutboxItemView> = {}): OutboxItemView {
  return {
    id,
    conversationId: 'c1',
    conversationName: 'Bob Brown',
    kind: 'message',
    text: `text of ${id}`,
    files: [],
    people: [],
    emoji: null,
    state: 'waiting_for_connection',
    attempts: 0,
    lastError: null,
    nextRetryAt: null,
    ...overrides,
  };
}

describe('outbox inspector state', () => {
  it('reads the outbox only while the dialog watches it, and again on every outbox or connection change', async () => {
    const api = new FakeApi();
    api.outbox = { items: [item('m1')], total: 1 };
    const store = await start(api);
    api.emit({ type: 'outbox' });
    await settle();
    expect(api.callsOf('listOutbox')).toHaveLength(0);
    expect(store.getState().outbox).toBeNull();

    const unwatch = store.getState().actions.watchOutbox();
    await settle();
    expect(store.getState().outbox).toEqual({ listing: { items: [item('m1')], total: 1 }, error: null });

    api.outbox = { items: [item('m1', { state: 'sending', attempts: 1 }), item('m2')], total: 2 };
    api.emit({ type: 'outbox' });
    await settle();
    expect(store.getState().outbox?.listing?.items.map((i) => [i.id, i.state])).toEqual([
      ['m1', 'sending'],
      ['m2', 'waiting_for_connection'],
    ]);
    const reads = api.callsOf('listOutbox').length;
    api.emit({ type: 'connection', state: 'offline' });
    await settle();
    expect(api.callsOf('listOutbox')).toHaveLength(reads + 1);

    unwatch();
    expect(store.getState().outbox).toBeNull();
    api.emit({ type: 'outbox' });
    await settle();
    expect(api.callsOf('listOutbox')).toHaveLength(reads + 1);
  });

  it('Discard and Retry now go to the core and the listing is read again; unchanged items keep their objects', async () => {
    const api = new FakeApi();
    api.outbox = { items: [item('m1'), item('m2')], total: 2 };
    const store = await start(api);
    store.getState().actions.watchOutbox();
    await settle();
    const before = store.getState().outbox!.listing!.items;

    await store.getState().actions.discardOutboxItem('m1');
    expect(api.callsOf('discardOutboxItem')).toEqual([{ id: 'm1' }]);
    const after = store.getState().outbox!.listing!;
    expect(after.items.map((i) => i.id)).toEqual(['m2']);
    expect(after.items[0]).toBe(before[1]);

    await store.getState().actions.retryOutboxItem('m2');
    expect(api.callsOf('retryOutboxItem')).toEqual([{ id: 'm2' }]);
    // Nothing changed: the very same listing.
    expect(store.getState().outbox!.listing).toBe(after);

    // Refused by the core: the caller hears of it, and the listing is still read again.
    const reads = api.callsOf('listOutbox').length;
    await expect(store.getState().actions.discardOutboxItem('gone')).rejects.toThrow();
    expect(api.callsOf('listOutbox')).toHaveLength(reads + 1);
  });
});
