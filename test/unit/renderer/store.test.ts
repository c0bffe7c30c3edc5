import { describe, expect, it } from 'vitest';
import { disappearingView } from '../../support/app-views.js';
import { alice, bob, carol, FakeApi, message, notice, settle, summary, storesOnFakes } from './fake-api.js';

const { start } = storesOnFakes();

function withConversation(): FakeApi {
  const api = new FakeApi();
  api.conversations = [
    summary({ id: 'c-old', lastActivityAt: 10 }),
    summary({ id: 'c1', lastActivityAt: 50, unreadCount: 2, mentionsYou: true }),
  ];
  api.pages.set('c1', {
    messages: [message({ id: 'm1', seq: 1 }), message({ id: 'm2', seq: 3 })],
    notices: [notice({ seq: 2 })],
    hasOlder: false,
    hasNewer: false,
    readSeq: 0,
    firstUnreadSeq: null,
  });
  return api;
}

describe('the renderer store', () => {
  it('signs in from the core’s session and lists conversations newest first', async () => {
    const store = await start(withConversation());
    const state = store.getState();
    expect(state.phase).toBe('signedIn');
    expect(state.session?.user).toEqual(alice);
    expect(state.conversationsLoaded).toBe(true);
    expect(state.conversations.map((c) => c.id)).toEqual(['c1', 'c-old']);
  });

  it('shows the sign-in screen when there is no session', async () => {
    const api = new FakeApi();
    api.session = null;
    const store = await start(api);
    expect(store.getState().phase).toBe('signedOut');
    expect(api.callsOf('listConversations')).toHaveLength(0);
  });

  it('opens a conversation: its messages, notices, activity and info are read', async () => {
    const api = withConversation();
    api.activity = { typing: [bob], peerPresence: { online: true, lastSeenAt: null }, members: null };
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    expect(store.getState().open).toMatchObject({ id: 'c1', loaded: false, messages: [] });
    await settle();
    const { open, activity } = store.getState();
    expect(open?.loaded).toBe(true);
    expect(open?.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(open?.notices.map((n) => n.seq)).toEqual([2]);
    expect(api.callsOf('listMessages')).toEqual([{ conversationId: 'c1', limit: 100 }]);
    expect(activity).toMatchObject({ conversationId: 'c1', typing: [bob] });
    expect(api.callsOf('getConversationInfo')).toEqual([{ conversationId: 'c1' }]);
  });

  it('shows the cached page at once when a conversation is opened again', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    store.getState().actions.openConversation('c-old');
    await settle();
    store.getState().actions.openConversation('c1');
    const open = store.getState().open;
    expect(open?.loaded).toBe(true);
    expect(open?.messages.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('shows a sent message at once, and keeps it over a refetch that started before it was sent', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();

    // A refetch is in flight (it began before the send, so its answer cannot contain the message).
    const held = api.hold('listMessages');
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    const sent = await store.getState().actions.send('Hello group');
    expect(sent?.text).toBe('Hello group');
    expect(store.getState().open?.messages.at(-1)).toMatchObject({ id: sent?.id, status: 'sending' });

    held.release();
    await settle();
    // The stale answer did not drop it; it is still last (unsent messages come after numbered ones).
    expect(store.getState().open?.messages.map((m) => m.id)).toEqual(['m1', 'm2', sent?.id]);

    // Once the core lists it (numbered), the core's version replaces the local one.
    api.pages.set('c1', {
      messages: [message({ id: 'm1', seq: 1 }), message({ id: 'm2', seq: 3 }), { ...sent!, seq: 4, status: 'sent' }],
      notices: [notice({ seq: 2 })],
      hasOlder: false,
      hasNewer: false,
      readSeq: 0,
      firstUnreadSeq: null,
    });
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(store.getState().open?.messages.at(-1)).toMatchObject({ id: sent?.id, seq: 4, status: 'sent' });
    expect(store.getState().open?.messages).toHaveLength(3);
  });

  it('refetches on events, coalescing a burst into at most one more call', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    const before = api.callsOf('listMessages').length;

    const held = api.hold('listMessages');
    for (let i = 0; i < 5; i++) api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(api.callsOf('listMessages').length - before).toBe(1);
    held.release();
    await settle();
    expect(api.callsOf('listMessages').length - before).toBe(2);
  });

  it('routes each event to what it concerns', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    const count = () => ({
      messages: api.callsOf('listMessages').length,
      list: api.callsOf('listConversations').length,
      activity: api.callsOf('getActivity').length,
      info: api.callsOf('getConversationInfo').length,
    });

    let before = count();
    api.emit({ type: 'messages', conversationId: 'c-old' });
    await settle();
    expect(count()).toEqual({ ...before, list: before.list + 1 });

    before = count();
    api.emit({ type: 'activity', conversationId: 'c1' });
    await settle();
    expect(count().activity).toBe(before.activity + 1);
    expect(count().messages).toBe(before.messages);

    before = count();
    api.emit({ type: 'conversation_info', conversationId: 'c1' });
    api.emit({ type: 'conversation_info', conversationId: 'c-old' });
    await settle();
    expect(count()).toEqual({ ...before, info: before.info + 1 });

    before = count();
    api.emit({ type: 'conversations' });
    await settle();
    expect(count()).toEqual({ ...before, list: before.list + 1 });
  });

  it('keeps the same objects when a refetch brings nothing new, and replaces only what changed', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    const first = store.getState().open!;
    const conversations = store.getState().conversations;

    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    expect(store.getState().open).toBe(first);
    expect(store.getState().conversations).toBe(conversations);

    api.pages.set('c1', {
      messages: [message({ id: 'm1', seq: 1 }), message({ id: 'm2', seq: 3, text: 'edited', edited: true })],
      notices: [notice({ seq: 2 })],
      hasOlder: false,
      hasNewer: false,
      readSeq: 0,
      firstUnreadSeq: null,
    });
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    const next = store.getState().open!;
    expect(next.messages[0]).toBe(first.messages[0]);
    expect(next.messages[1]).not.toBe(first.messages[1]);
    expect(next.messages[1]?.text).toBe('edited');
    expect(next.notices).toBe(first.notices);
  });

  it('keeps an optimistic edit over a refetch that was already in flight', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();

    const heldList = api.hold('listMessages');
    api.emit({ type: 'messages', conversationId: 'c1' });
    await settle();
    const heldEdit = api.hold('editMessage');
    const edit = store.getState().actions.editMessage('m1', 'changed');
    expect(store.getState().open?.messages[0]?.text).toBe('changed');

    // The old answer lands: the patch still shows.
    heldList.release();
    await settle();
    expect(store.getState().open?.messages[0]?.text).toBe('changed');

    // The core takes the edit; its next answer has the new text.
    api.pages.set('c1', { ...api.pages.get('c1')!, messages: [message({ id: 'm1', seq: 1, text: 'changed', edited: true })] });
    heldEdit.release();
    await edit;
    expect(store.getState().open?.messages[0]).toMatchObject({ text: 'changed', edited: true });
    expect(api.callsOf('editMessage')).toEqual([{ conversationId: 'c1', messageId: 'm1', text: 'changed' }]);
  });

  it('clears the unread badge and the mention at once when marking read', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.markRead('c1');
    expect(store.getState().conversations.find((c) => c.id === 'c1')).toMatchObject({ unreadCount: 0, mentionsYou: false });
    await settle();
    expect(api.callsOf('markRead')).toEqual([{ conversationId: 'c1' }]);
  });

  it('creates a group and opens it before the list is re-read', async () => {
    const api = new FakeApi();
    const store = await start(api);
    const held = api.hold('listConversations');
    await store.getState().actions.createGroup('Trip', [bob.id, carol.id]);
    expect(api.callsOf('createGroup')).toEqual([{ name: 'Trip', memberIds: [bob.id, carol.id] }]);
    expect(store.getState().open?.id).toBe('g-new');
    expect(store.getState().conversations[0]).toMatchObject({ id: 'g-new', kind: 'group', title: 'Trip', memberCount: 3 });
    held.release();
    await settle();
  });

  it('reads the open group’s info and re-reads it after a change', async () => {
    const api = withConversation();
    api.conversations.push(summary({ id: 'g1', kind: 'group', title: 'Trip', peer: null, memberCount: 2 }));
    api.infos.set('g1', {
      id: 'g1',
      kind: 'group',
      name: 'Trip',
      isMember: true,
      role: 'owner',
      members: [
        { user: alice, role: 'owner', online: true, you: true, pending: false },
        { user: bob, role: 'member', online: false, you: false, pending: false },
      ],
      failedChanges: [],
      disappearing: disappearingView({ everyoneMaySet: false, mayChangePolicy: true }),
    });
    const store = await start(api);
    store.getState().actions.openConversation('g1');
    await settle();
    expect(store.getState().info?.view.members.map((m) => m.user.id)).toEqual([alice.id, bob.id]);
    const infoBefore = store.getState().info;

    // Re-reading the same info keeps the same object.
    api.emit({ type: 'conversation_info', conversationId: 'g1' });
    await settle();
    expect(store.getState().info).toBe(infoBefore);

    const info = api.infos.get('g1')!;
    api.infos.set('g1', {
      ...info,
      members: [...info.members, { user: carol, role: 'member', online: false, you: false, pending: true }],
    });
    await store.getState().actions.addMembers([carol.id]);
    await settle();
    expect(api.callsOf('addMembers')).toEqual([{ conversationId: 'g1', userIds: [carol.id] }]);
    expect(store.getState().info?.view.members.at(-1)).toMatchObject({ user: carol, pending: true });
  });

  it('forgets the open conversation and the list when the session ends', async () => {
    const api = withConversation();
    const store = await start(api);
    store.getState().actions.openConversation('c1');
    await settle();
    api.emit({ type: 'session', session: null });
    const state = store.getState();
    expect(state.phase).toBe('signedOut');
    expect(state.open).toBeNull();
    expect(state.conversations).toEqual([]);
    expect(state.info).toBeNull();
  });
});

describe('a window reloaded mid-call', () => {
  it('opens the call’s conversation behind it: a call with one person, or a group call this device is in', async () => {
    const direct = withConversation();
    direct.call = {
      callId: 'a1b2c3d4e5f6a7b8',
      conversationId: 'c1',
      peer: bob,
      media: 'audio',
      direction: 'outgoing',
      phase: 'connected',
      negotiates: 'offer',
      connectedAt: 1_000,
      ended: null,
      peerSending: { audio: true, video: false, screen: false },
    };
    const inCall = await start(direct);
    expect(inCall.getState().open?.id).toBe('c1');

    const group = withConversation();
    group.groupCalls = {
      going: [],
      joined: { callId: 'c0ffee00c0ffee00', conversationId: 'c-old', media: 'video', joinedAt: 1_000, participants: [] },
    };
    const inGroupCall = await start(group);
    await settle();
    expect(inGroupCall.getState().open?.id).toBe('c-old');
  });

  it('opens nothing when no call is on', async () => {
    const store = await start(withConversation());
    await settle();
    expect(store.getState().open).toBeNull();
  });
});
