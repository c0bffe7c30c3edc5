import { describe, expect, it } from 'vitest';
import { menuItemForKey } from '../../../renderer/components/keys.js';
import type { PinnedMessageView } from '../../../sync/app-api/contract.js';
import { inFolder } from '../../../renderer/state/conversations.js';
import { shownPinIndex } from '../../../renderer/state/pins.js';
import { pickFitting, sendableAsIs } from '../../../renderer/state/link-preview-size.js';
import { bob, carol, FakeApi, message, settle, summary, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();

function withConversations(): FakeApi {
  const api = new FakeApi();
  api.conversations = [
    summary({ id: 'c1', lastActivityAt: 50 }),
    summary({ id: 'c2', lastActivityAt: 40, archived: true, peer: carol, title: carol.displayName }),
  ];
  api.pages.set('c1', {
    messages: [message({ id: 'm1', seq: 1 }), message({ id: 'm2', seq: 2 }), message({ id: 'm3', seq: 3 })],
    notices: [],
    hasOlder: false,
    hasNewer: false,
    readSeq: 3,
    firstUnreadSeq: null,
  });
  return api;
}

describe('pins', () => {
  it('reads the open conversation’s pins, pins and unpins, newest first', async () => {
    const api = withConversations();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    expect(api.callsOf('listPinnedMessages')).toEqual([{ conversationId: 'c1' }]);
    expect(store.getState().pins).toEqual({ conversationId: 'c1', list: [] });

    await store.getState().actions.pinMessage('m1', true);
    await store.getState().actions.pinMessage('m3', true);
    expect(api.callsOf('pinMessage')).toEqual([
      { conversationId: 'c1', messageId: 'm1', on: true },
      { conversationId: 'c1', messageId: 'm3', on: true },
    ]);
    expect(store.getState().pins?.list.map((p) => p.messageId)).toEqual(['m3', 'm1']);
    expect(
      store
        .getState()
        .open?.messages.filter((m) => m.pinned)
        .map((m) => m.id),
    ).toEqual(['m1', 'm3']);

    await store.getState().actions.pinMessage('m3', false);
    expect(store.getState().pins?.list.map((p) => p.messageId)).toEqual(['m1']);
  });

  it('re-reads pins when the open conversation’s messages change (a pin from someone else)', async () => {
    const api = withConversations();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    api.pins.set('c1', [
      {
        messageId: 'm2',
        seq: 2,
        senderName: bob.displayName,
        text: 'text of m2',
        attachment: null,
        pinnedBy: bob.displayName,
        pinnedAt: 1,
        pending: false,
      },
    ]);
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(store.getState().pins?.list.map((p) => p.text)).toEqual(['text of m2']);
    // Another conversation's messages leave them alone.
    const reads = api.callsOf('listPinnedMessages').length;
    api.emit({ type: 'messages', conversationId: 'c2' });
    await settle();
    expect(api.callsOf('listPinnedMessages')).toHaveLength(reads);
  });

  it('forgets the pins of a conversation left for another', async () => {
    const api = withConversations();
    api.pins.set('c1', [
      { messageId: 'm1', seq: 1, senderName: 'B', text: 't', attachment: null, pinnedBy: 'B', pinnedAt: 1, pending: false },
    ]);
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    expect(store.getState().pins?.list).toHaveLength(1);
    store.getState().actions.openConversation('c2');
    expect(store.getState().pins).toBeNull();
    await settle();
    expect(store.getState().pins).toEqual({ conversationId: 'c2', list: [] });
  });
});

describe('the pinned bar', () => {
  const pin = (messageId: string): PinnedMessageView => ({
    messageId,
    seq: 1,
    senderName: 'B',
    text: messageId,
    attachment: null,
    pinnedBy: 'B',
    pinnedAt: 1,
    pending: false,
  });
  const shown = (ids: string[], choice: Parameters<typeof shownPinIndex>[1]) => ids[shownPinIndex(ids.map(pin), choice)];

  it('shows the newest pin, then the one clicking moved on to', () => {
    expect(shown(['m3', 'm2', 'm1'], null)).toBe('m3');
    expect(shown(['m3', 'm2', 'm1'], { shownId: 'm2', newestId: 'm3' })).toBe('m2');
    // An older pin removed meanwhile does not shift it.
    expect(shown(['m3', 'm2'], { shownId: 'm2', newestId: 'm3' })).toBe('m2');
    // The one it moved on to was unpinned: the newest again.
    expect(shown(['m3', 'm1'], { shownId: 'm2', newestId: 'm3' })).toBe('m3');
  });

  it('shows a new pin at once, wherever clicking had moved it', () => {
    expect(shown(['m4', 'm3', 'm2', 'm1'], { shownId: 'm1', newestId: 'm3' })).toBe('m4');
  });
});

describe('archive, mute and block', () => {
  it('reads both folders and splits them by `archived`', async () => {
    const api = withConversations();
    const store = await start(api);
    expect(api.callsOf('listConversations').every((args) => (args as { folder?: string }).folder === 'all')).toBe(true);
    const all = store.getState().conversations;
    expect(inFolder(all, 'main').map((c) => c.id)).toEqual(['c1']);
    expect(inFolder(all, 'archived').map((c) => c.id)).toEqual(['c2']);
  });

  it('archives, mutes and blocks, then shows the list as the core now has it', async () => {
    const api = withConversations();
    const store = await start(api);
    const { actions } = store.getState();
    await actions.setArchived('c1', true);
    await actions.setMuted('c2', true);
    await actions.setBlocked(bob.id, true);
    expect(api.callsOf('setArchived')).toEqual([{ conversationId: 'c1', archived: true }]);
    expect(api.callsOf('setMuted')).toEqual([{ conversationId: 'c2', muted: true }]);
    expect(api.callsOf('setBlocked')).toEqual([{ userId: bob.id, blocked: true }]);
    const byId = new Map(store.getState().conversations.map((c) => [c.id, c]));
    expect(byId.get('c1')).toMatchObject({ archived: true, blocked: true });
    expect(byId.get('c2')).toMatchObject({ muted: true, blocked: false });
    expect(await actions.loadBlocked()).toEqual([bob]);
    await actions.setBlocked(bob.id, false);
    expect(await actions.loadBlocked()).toEqual([]);
  });

  it('re-reads the list on a settings event and counts the event for an open composer', async () => {
    const api = withConversations();
    const store = await start(api);
    const reads = api.callsOf('listConversations').length;
    api.conversations = api.conversations.map((c) => (c.id === 'c1' ? { ...c, draft: 'from the laptop' } : c));
    api.emit({ type: 'settings', conversationIds: ['c1'] });
    await settle();
    expect(api.callsOf('listConversations').length).toBeGreaterThan(reads);
    expect(store.getState().settingsChange).toEqual({ conversationIds: ['c1'], n: 1 });
    expect(store.getState().conversations.find((c) => c.id === 'c1')?.draft).toBe('from the laptop');
  });
});

describe('drafts and link previews', () => {
  it('saves and loads a draft with its reply target through the core', async () => {
    const api = withConversations();
    const store = await start(api);
    const { actions } = store.getState();
    expect(await actions.loadDraft('c1')).toBeNull();
    await actions.saveDraft('c1', 'half a thought', 'm2');
    expect(await actions.loadDraft('c1')).toEqual({ text: 'half a thought', replyTo: 'm2' });
    await settle();
    expect(store.getState().conversations.find((c) => c.id === 'c1')?.draft).toBe('half a thought');
    await actions.saveDraft('c1', '', null);
    expect(await actions.loadDraft('c1')).toBeNull();
  });

  it('sends the preview with the message, and none when there is none', async () => {
    const api = withConversations();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    const preview = { url: 'https://example.com/', title: 'Example', description: '', image: null };
    await store.getState().actions.send('see https://example.com/', undefined, undefined, preview);
    await store.getState().actions.send('no preview');
    expect(api.callsOf('sendMessage')).toEqual([
      { conversationId: 'c1', text: 'see https://example.com/', linkPreview: preview },
      { conversationId: 'c1', text: 'no preview' },
    ]);
  });

  it('asks the core for a preview and never throws', async () => {
    const api = withConversations();
    const preview = { url: 'https://example.com/', title: 'Example', description: 'd', image: null };
    api.previews.set('https://example.com/', preview);
    const store = await start(api);
    expect(await store.getState().actions.fetchLinkPreview('https://example.com/')).toEqual(preview);
    expect(await store.getState().actions.fetchLinkPreview('https://nothing.example/')).toBeNull();
  });
});

describe('the preview image', () => {
  it('takes the largest, best JPEG that fits, and none when none fits', () => {
    const tried: string[] = [];
    const jpeg = (length: number) => `data:image/jpeg;base64,${'A'.repeat(length)}`;
    const fits = pickFitting((side, quality) => {
      tried.push(`${side}@${quality}`);
      return jpeg(side * quality * 100);
    }, 20_000);
    expect(fits).toBe(jpeg(480 * 0.4 * 100));
    expect(tried).toEqual(['480@0.8', '480@0.6', '480@0.4']);
    expect(pickFitting(() => jpeg(50_000), 20_000)).toBeNull();
    expect(pickFitting(() => 'data:image/png;base64,AAAA', 20_000)).toBeNull();
  });

  it('passes a small JPEG, PNG or WebP as it is; anything else is redrawn', () => {
    expect(sendableAsIs('data:image/png;base64,iVBORw0KGgo=')).toBe(true);
    expect(sendableAsIs('data:image/svg+xml;base64,PHN2Zz4=')).toBe(false);
    expect(sendableAsIs(`data:image/jpeg;base64,${'A'.repeat(30_000)}`)).toBe(false);
  });
});

describe('keys of a menu (the conversation menu, the message menu)', () => {
  it('wraps the arrows around, goes to the ends on Home and End, and leaves other keys to the menu', () => {
    expect(menuItemForKey('ArrowDown', 0, 3)).toBe(1);
    expect(menuItemForKey('ArrowDown', 2, 3)).toBe(0);
    expect(menuItemForKey('ArrowUp', 0, 3)).toBe(2);
    // Nothing focused yet: down goes to the first item, up to the last.
    expect(menuItemForKey('ArrowDown', -1, 3)).toBe(0);
    expect(menuItemForKey('ArrowUp', -1, 3)).toBe(2);
    expect(menuItemForKey('Home', 2, 3)).toBe(0);
    expect(menuItemForKey('End', 0, 3)).toBe(2);
    expect(menuItemForKey('Escape', 1, 3)).toBeNull();
    expect(menuItemForKey('Tab', 1, 3)).toBeNull();
    expect(menuItemForKey('ArrowDown', -1, 0)).toBeNull();
  });
});
