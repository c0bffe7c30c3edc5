import { describe, expect, it } from 'vitest';
import { en } from '../../../renderer/i18n/en.js';
import { FakeApi, settle, summary, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();

describe('forwarding in the renderer store', () => {
  it('offers every conversation you are in, newest first, read whole from the core', async () => {
    const api = new FakeApi();
    api.conversations = [
      summary({ id: 'c-old', title: 'Old friend', lastActivityAt: 10 }),
      summary({ id: 'g-left', kind: 'group', title: 'Left group', peer: null, isMember: false, lastActivityAt: 99 }),
      summary({ id: 'g1', kind: 'group', title: 'Trip', peer: null, lastActivityAt: 50 }),
    ];
    const store = await start(api);
    const before = api.callsOf('listConversations').length;
    const targets = await store.getState().actions.loadForwardTargets();
    expect(targets.map((c) => c.title)).toEqual(['Trip', 'Old friend']);
    // Not the sidebar's copy (which may be a screen of it): the whole list, asked for again.
    expect(api.callsOf('listConversations').slice(before)).toEqual([{ folder: 'all' }]);
  });

  it('sends the copies through the core and re-reads the conversation list', async () => {
    const api = new FakeApi();
    api.conversations = [summary({ id: 'c1' }), summary({ id: 'g1', kind: 'group', title: 'Trip', peer: null })];
    const store = await start(api);
    const before = api.callsOf('listConversations').length;
    await store.getState().actions.forwardMessage('c1', 'm1', ['g1', 'c1']);
    expect(api.callsOf('forwardMessage')).toEqual([{ conversationId: 'c1', messageId: 'm1', toConversationIds: ['g1', 'c1'] }]);
    await settle();
    expect(api.callsOf('listConversations').length).toBeGreaterThan(before);
  });

  it('has the exact accessible names the tests and QA rely on', () => {
    expect(en.actions.forward).toBe('Forward');
    expect(en.forward.title).toBe('Forward message');
    expect(en.forward.send).toBe('Send');
    expect(en.forward.from('Bob Builder')).toBe('Forwarded from Bob Builder');
  });
});
