import { describe, expect, it } from 'vitest';
import { messageRows } from '../../../renderer/state/message-rows.js';
import { MESSAGE_PAGE, WINDOW_MAX, type AppStore } from '../../../renderer/state/store.js';
import { alice, bob, FakeApi, message, settle, summary, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();
/** A conversation of `count` messages from Bob, seq 1…count, of which the newest `unread` are unread. */
function longHistory(count: number, unread = 0): FakeApi {
  const api = new FakeApi();
  api.conversations = [summary({ id: 'c1', unreadCount: unread })];
  api.histories.set('c1', {
    messages: Array.from({ length: count }, (_, i) => message({ id: `m${i + 1}`, seq: i + 1, at: 1000 + i })),
    readSeq: count - unread,
  });
  return api;
}

const window = (store: AppStore) => {
  const open = store.getState().open!;
  return {
    first: open.messages[0]?.id,
    last: open.messages.at(-1)?.id,
    size: open.messages.length,
    hasOlder: open.hasOlder,
    hasNewer: open.hasNewer,
  };
};

describe('the open conversation’s window on its history', () => {
  it('opens on the newest page and grows older a page at a time, letting go of the newest end beyond its size', async () => {
    const store = await start(longHistory(5000));
    store.getState().actions.openConversation('c1');
    await settle();
    expect(window(store)).toEqual({ first: 'm4901', last: 'm5000', size: MESSAGE_PAGE, hasOlder: true, hasNewer: false });
    expect(store.getState().open?.scroll.to).toBe('first-unread');

    for (let i = 0; i < 6; i++) await store.getState().actions.loadOlder();
    // 700 asked for, 500 kept: the newest 200 were let go and are now "newer".
    expect(window(store)).toEqual({ first: 'm4301', last: 'm4800', size: WINDOW_MAX, hasOlder: true, hasNewer: true });

    await store.getState().actions.loadNewer();
    expect(window(store)).toEqual({ first: 'm4401', last: 'm4900', size: WINDOW_MAX, hasOlder: true, hasNewer: true });

    await store.getState().actions.jumpToLatest();
    expect(window(store)).toMatchObject({ last: 'm5000', hasNewer: false });
    expect(store.getState().open?.scroll.to).toBe('latest');
  });

  it('jumps to a message far back: the window is around it, it is the target, and it reads on in both directions', async () => {
    const api = longHistory(100_000);
    api.conversations.push(summary({ id: 'c2' }));
    const store = await start(api);
    store.getState().actions.openConversation('c2');
    await settle();

    expect(await store.getState().actions.jumpToMessage('c1', 'm5000')).toBe(true);
    await settle();
    const open = store.getState().open!;
    expect(open.id).toBe('c1');
    expect(open.target).toBe('m5000');
    expect(open.scroll.to).toBe('target');
    expect(open.messages.map((m) => m.id)).toContain('m5000');
    expect(window(store)).toMatchObject({ first: 'm4950', last: 'm5049', hasOlder: true, hasNewer: true });
    // It never read the newest page on the way: one read, around the target.
    expect(api.callsOf('listMessages').filter((args) => (args as { conversationId: string }).conversationId === 'c1')).toEqual([
      { conversationId: 'c1', aroundMessageId: 'm5000', limit: MESSAGE_PAGE },
    ]);

    await store.getState().actions.loadNewer();
    expect(window(store)).toMatchObject({ first: 'm4950', last: 'm5149' });
    await store.getState().actions.loadOlder();
    expect(window(store)).toMatchObject({ first: 'm4850', last: 'm5149' });

    store.getState().actions.clearTarget();
    expect(store.getState().open?.target).toBeNull();
  });

  it('a jump to a message that is not in the profile says so and still opens the conversation at its newest', async () => {
    const store = await start(longHistory(300));
    expect(await store.getState().actions.jumpToMessage('c1', 'not-here')).toBe(false);
    await settle();
    expect(window(store)).toMatchObject({ last: 'm300', hasNewer: false });
    expect(store.getState().open?.target).toBeNull();
  });

  it('opens on the first unread message when it is further up than the newest page, and fixes the divider there', async () => {
    const api = longHistory(1000, 250);
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    const open = store.getState().open!;
    expect(open.unreadAfterSeq).toBe(750);
    expect(open.messages.map((m) => m.id)).toContain('m751');
    expect(open.scroll.to).toBe('first-unread');
    const rows = messageRows(open.messages, open.notices, open.unreadAfterSeq);
    const divider = rows.findIndex((row) => row.kind === 'unread');
    expect(rows[divider + 1]).toMatchObject({ kind: 'message', key: 'm751' });

    // Reading it does not move the divider while the conversation stays open.
    api.histories.get('c1')!.readSeq = 1000;
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(store.getState().open?.unreadAfterSeq).toBe(750);
  });

  it('a re-read of a window further up keeps the same stretch, with what changed in it', async () => {
    const api = longHistory(2000);
    const store = await start(api);
    await store.getState().actions.jumpToMessage('c1', 'm500');
    await settle();
    const before = window(store);
    api.histories.get('c1')!.messages[499] = message({ id: 'm500', seq: 500, text: 'edited', edited: true });
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(window(store)).toEqual(before);
    expect(store.getState().open?.messages.find((m) => m.id === 'm500')?.text).toBe('edited');
  });

  it('drops an older page that arrives after the window was replaced by a jump', async () => {
    const api = longHistory(5000);
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    const held = api.hold('listMessages');
    const older = store.getState().actions.loadOlder();
    const jump = store.getState().actions.jumpToMessage('c1', 'm100');
    held.release();
    await Promise.all([older, jump]);
    await settle();
    expect(window(store)).toMatchObject({ first: 'm50', last: 'm149' });
  });
});

describe('the window and re-reads in flight', () => {
  it('a re-read of the old window that answers after a jump landed is dropped and made again', async () => {
    const api = longHistory(5000);
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    const held = api.hold('listMessages');
    const jump = store.getState().actions.jumpToMessage('c1', 'm100');
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    held.release();
    await jump;
    await settle();
    expect(window(store)).toMatchObject({ first: 'm50', last: 'm149' });
    expect(store.getState().open?.target).toBe('m100');
  });
});

describe('message rows', () => {
  it('puts the unread divider before the first message from someone else after the watermark, and none without one', () => {
    const messages = [
      message({ id: 'a', seq: 1 }),
      message({ id: 'mine', seq: 2, own: true, senderId: alice.id }),
      message({ id: 'b', seq: 3, senderId: bob.id }),
    ];
    expect(messageRows(messages, [], 1).map((row) => row.key)).toEqual([
      expect.stringMatching(/^day-/),
      'a',
      'mine',
      'unread',
      'b',
    ]);
    expect(messageRows(messages, [], null).some((row) => row.kind === 'unread')).toBe(false);
    expect(messageRows(messages, [], 3).some((row) => row.kind === 'unread')).toBe(false);
  });
});
