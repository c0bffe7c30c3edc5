/**
 * Every call leaves one entry in the conversation's log (issue 32), written sealed by the caller's
 * device when the call ends, between real client cores on a real server: both sides read it (each
 * from its own side), and a callee whose device was offline for the whole call gets it through the
 * normal sync, once, as a missed call that counts as unread.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NoticeView } from '../../../sync/app-api/contract.js';
import { createClientHarness, eventually, type TestCore } from '../../support/client-harness.js';
import { converse, online, person } from '../../support/people.js';
import { createServerHarness } from '../../support/server-harness.js';

const servers = createServerHarness();
const clients = createClientHarness();
afterEach(async () => {
  await clients.cleanup();
  await servers.cleanup();
});

const callEntries = async (core: TestCore, conversationId: string): Promise<NoticeView[]> =>
  (await core.listMessages({ conversationId })).notices.filter((notice) => notice.kind === 'call_ended');

const unreadIn = async (core: TestCore, conversationId: string): Promise<number | undefined> =>
  (await core.listConversations({ folder: 'all' })).find((conversation) => conversation.id === conversationId)?.unreadCount;

const entriesOf = (core: TestCore, conversationId: string, what: string) =>
  eventually(
    () => callEntries(core, conversationId),
    (entries) => entries.length > 0,
    what,
  );

describe('call entries', () => {
  it('a completed call leaves one entry with its duration on both sides, which counts as unread for neither', async () => {
    const server = await servers.startServer();
    const { core: alice } = await person(clients, server, 'alice');
    const { core: bob } = await person(clients, server, 'bob');
    const conversationId = await converse(alice, bob, 'bob');
    const bobUnreadBefore = await unreadIn(bob, conversationId);

    const { callId } = await alice.startCall({ conversationId, media: 'video' });
    await eventually(
      () => bob.getCall(),
      (call) => call?.callId === callId && call.phase === 'ringing',
      'ringing at Bob’s',
    );
    await bob.acceptCall({ callId, media: 'video' });
    await eventually(
      () => alice.getCall(),
      (call) => call?.phase === 'connecting',
      'Alice hears it was answered',
    );
    await bob.reportCallMedia({ callId, status: 'connected' });
    await alice.reportCallMedia({ callId, status: 'connected' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await alice.hangUpCall({ callId });

    const [aliceEntry] = await entriesOf(alice, conversationId, 'the entry at Alice’s');
    const [bobEntry] = await entriesOf(bob, conversationId, 'the entry at Bob’s');
    expect(aliceEntry?.call).toMatchObject({ callId, media: 'video', outcome: 'completed', outgoing: true });
    expect(bobEntry?.call).toMatchObject({ callId, media: 'video', outcome: 'completed', outgoing: false });
    expect(aliceEntry?.call?.durationMs).toBeGreaterThanOrEqual(1_000);
    expect(bobEntry?.call?.durationMs).toBe(aliceEntry?.call?.durationMs);
    expect(aliceEntry?.actor.displayName).toBe('Alice');
    expect(await callEntries(alice, conversationId)).toHaveLength(1);
    expect(await callEntries(bob, conversationId)).toHaveLength(1);
    expect(await unreadIn(bob, conversationId)).toBe(bobUnreadBefore);
    // A message after it is the list's newest again.
    await alice.sendMessage({ conversationId, text: 'good talk' });
    await eventually(
      () => bob.listConversations({ folder: 'all' }),
      (list) => list.some((c) => c.id === conversationId && c.lastMessage?.text === 'good talk' && c.lastCall === undefined),
      'the message after the call is the list’s newest at Bob’s',
    );
    // Nothing of it is left queued: the outbox row went when the server stored it.
    expect(await alice.listOutbox({})).toMatchObject({ items: [] });
  });

  it('a call to someone whose devices are all offline reaches their device when it comes back, once, as a missed call that is unread', async () => {
    const server = await servers.startServer();
    const { core: alice } = await person(clients, server, 'alice');
    const { core: bob, profileDir: bobProfile } = await person(clients, server, 'bob');
    const conversationId = await converse(alice, bob, 'bob');
    expect(await unreadIn(bob, conversationId)).toBe(0);
    await bob.close();

    // Nobody answers; the caller gives up (as the 60 s of ringing would: the callee missed it).
    const { callId } = await alice.startCall({ conversationId, media: 'audio' });
    expect(await alice.getCall()).toMatchObject({ callId, phase: 'outgoing' });
    await alice.hangUpCall({ callId });
    const [aliceEntry] = await entriesOf(alice, conversationId, 'the entry at Alice’s');
    expect(aliceEntry?.call).toEqual({ callId, media: 'audio', outcome: 'cancelled', durationMs: null, outgoing: true });

    const bobAgain = await clients.open(bobProfile, server.url);
    await online(bobAgain);
    const [missed] = await entriesOf(bobAgain, conversationId, 'the missed call at Bob’s, back online');
    expect(missed?.call).toEqual({ callId, media: 'audio', outcome: 'cancelled', durationMs: null, outgoing: false });
    expect(await unreadIn(bobAgain, conversationId)).toBe(1);
    // The list says it too, as the newest thing in the conversation (the renderer words it "Missed voice call").
    const listed = (await bobAgain.listConversations({ folder: 'all' })).find(
      (conversation) => conversation.id === conversationId,
    );
    expect(listed?.lastCall).toMatchObject({ callId, media: 'audio', outcome: 'cancelled', outgoing: false });

    // Once: another catch-up from the start brings no second entry, nor a second unread.
    await bobAgain.close();
    const bobThird = await clients.open(bobProfile, server.url);
    await online(bobThird);
    expect(await callEntries(bobThird, conversationId)).toHaveLength(1);
    expect(await unreadIn(bobThird, conversationId)).toBe(1);

    // Read, it is no longer unread.
    await bobThird.markRead({ conversationId });
    await eventually(
      () => unreadIn(bobThird, conversationId),
      (unread) => unread === 0,
      'the missed call read',
    );
  });

  it('a call that rang unanswered on a device online is missed there: unread, and told live for the host to notify', async () => {
    const server = await servers.startServer();
    const { core: alice } = await person(clients, server, 'alice');
    const { core: bob } = await person(clients, server, 'bob');
    const conversationId = await converse(alice, bob, 'bob');

    const { callId } = await alice.startCall({ conversationId, media: 'video' });
    await eventually(
      () => bob.getCall(),
      (call) => call?.callId === callId && call.phase === 'ringing',
      'ringing at Bob’s',
    );
    await alice.hangUpCall({ callId });
    await eventually(
      () => bob.events.filter((event) => event.type === 'missed_call'),
      (missed) => missed.length === 1,
      'Bob’s device told of the missed call',
    );
    expect(bob.events.find((event) => event.type === 'missed_call')).toEqual({
      type: 'missed_call',
      conversationId,
      callId,
      media: 'video',
    });
    const [missed] = await callEntries(bob, conversationId);
    expect(missed?.call).toMatchObject({ callId, outcome: 'cancelled', outgoing: false });
    expect(await unreadIn(bob, conversationId)).toBe(1);
    // The caller's own devices are told of nothing: it was their call.
    expect(alice.events.some((event) => event.type === 'missed_call')).toBe(false);
  });
});
