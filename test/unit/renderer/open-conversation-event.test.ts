/** The host's 'open_conversation' (a clicked notification) and the core's 'incoming' as the renderer store takes them. */
import { describe, expect, it } from 'vitest';
import { FakeApi, message, settle, storesOnFakes, summary } from './fake-api.js';

const { start } = storesOnFakes();

describe('events about notifications in the renderer store', () => {
  it('opens the conversation a clicked notification names', async () => {
    const api = new FakeApi();
    api.conversations = [summary({ id: 'c1' }), summary({ id: 'c2', title: 'Carol' })];
    api.pages.set('c2', {
      messages: [message({ id: 'm1', conversationId: 'c2' })],
      notices: [],
      hasOlder: false,
      hasNewer: false,
      readSeq: 0,
      firstUnreadSeq: null,
    });
    const store = await start(api);
    expect(store.getState().open).toBeNull();
    api.emit({ type: 'open_conversation', conversationId: 'c2' });
    await settle();
    expect(store.getState().open).toMatchObject({ id: 'c2', messages: [{ id: 'm1' }] });
  });

  it('opens nothing while signed out', async () => {
    const api = new FakeApi();
    api.session = null;
    const store = await start(api);
    api.emit({ type: 'open_conversation', conversationId: 'c2' });
    await settle();
    expect(store.getState()).toMatchObject({ phase: 'signedOut', open: null });
  });

  it('reads nothing more for an incoming message (the events before it did)', async () => {
    const api = new FakeApi();
    api.conversations = [summary({ id: 'c1' })];
    await start(api);
    const before = api.calls.length;
    api.emit({ type: 'incoming', conversationId: 'c1', messageId: 'm9' });
    await settle();
    expect(api.calls.slice(before)).toEqual([]);
  });
});
