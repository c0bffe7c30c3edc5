/**
 * Who sees what in a group over time (issue 7): a member sees the events from the one that added
 * them up to and including the one that removed them (or their leaving); being added again opens a
 * new visible period. A former member keeps their history, is told nothing after it, and is
 * answered like a stranger for everything that would act in the group.
 */
import { afterEach, expect, it } from 'vitest';
import {
  createServerHarness,
  envelopesIn,
  groupOf,
  people,
  groupChange,
  listedConversation,
  newGroupId,
  pushesAbout,
  testOpened,
  testSealed,
  visibleLog,
  withoutRid,
  type FrameRequest,
} from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/** Any server time. */
const anyTime: unknown = expect.any(Number);
/** The event push of the envelope at seq 2. */
const envelopeAt2: unknown = expect.objectContaining({ type: 'event', event: expect.objectContaining({ seq: 2 }) as unknown });

describeEachStore('a member added later', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('catches up from the members_added event: skippedTo is the seq before it, earlier envelopes are never sent', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const { id } = await groupOf(alice, [bob]);
    await alice.socket.send(id, 'm1', 'before carol');
    await bob.socket.send(id, 'm2', 'still before carol');
    const added = await groupChange(alice.socket, id, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] });
    expect(added.seq).toBe(4);
    const welcome = await bob.socket.send(id, 'm3', 'welcome, carol');

    const page = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: 0 }, 'events');
    expect(page.skippedTo).toBe(3);
    expect(page.hasMore).toBe(false);
    // Only what came after she joined: the envelopes from before are never served to her.
    expect(page.events).toEqual([added, welcome]);
    expect(envelopesIn(page.events).map(testOpened)).toEqual(['welcome, carol']);
    expect(page.users).toEqual(expect.arrayContaining([alice.user, bob.user, carol.user]));

    // Any cursor inside the time before she joined skips to the same place.
    for (const afterSeq of [1, 2]) {
      const again = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq }, 'events');
      expect(again.skippedTo, `after ${afterSeq}`).toBe(3);
      expect(again.events.map((e) => e.seq)).toEqual([4, 5]);
    }
    // From where she joined, nothing is skipped.
    const fromJoin = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: 3 }, 'events');
    expect(fromJoin.skippedTo).toBeUndefined();
    expect(fromJoin.events.map((e) => e.seq)).toEqual([4, 5]);
    // Small pages skip as well.
    const small = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: 0, limit: 1 }, 'events');
    expect(small).toMatchObject({ skippedTo: 3, hasMore: true });
    expect(small.events.map((e) => e.seq)).toEqual([4]);
    // The members who were there all along see everything.
    expect((await visibleLog(bob.socket, id)).events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('hears of the group by conversation_added as of the addition, on every device, and lists it', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const carolLaptop = await h.connect(server, carol.account.token);
    const { id } = await groupOf(alice, [bob]);
    await alice.socket.send(id, 'm1', 'before carol');
    const added = await groupChange(alice.socket, id, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] });
    for (const socket of [carol.socket, carolLaptop]) {
      const push = await socket.waitForPush('conversation_added', (p) => p.conversation.id === id);
      expect(push.conversation).toMatchObject({ id, kind: 'group', lastSeq: added.seq, isMember: true });
      expect(push.conversation.members.map((m) => [m.id, m.role])).toEqual([
        [alice.user.id, 'owner'],
        [bob.user.id, 'member'],
        [carol.user.id, 'member'],
      ]);
    }
    // The members already there get the event itself.
    expect(await bob.socket.waitForPush('event', (p) => p.event.seq === added.seq)).toEqual({ type: 'event', event: added });
    // Carol was not pushed the earlier message, nor anything else from before her time.
    await Promise.all([carol.socket.barrier(), carolLaptop.barrier()]);
    for (const socket of [carol.socket, carolLaptop]) {
      expect(socket.pushesOf('event').filter((p) => p.event.conversationId === id && p.event.seq < added.seq)).toEqual([]);
    }
    expect(await listedConversation(carol.socket, id)).toMatchObject({ lastSeq: added.seq, isMember: true });
  });

  it('sees the first members from group_created, with no skip', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const { id } = await groupOf(alice, [bob]);
    const page = await bob.socket.call({ type: 'catch_up', conversationId: id, afterSeq: 0 }, 'events');
    expect(page.skippedTo).toBeUndefined();
    expect(page.events.map((e) => [e.seq, e.kind])).toEqual([[1, 'group_created']]);
  });
});

describeEachStore('a removed member', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  async function removal() {
    const server = await h.startServer();
    const cast = await people(h, server, 'alice', 'bob', 'carol', 'dave');
    const { alice, bob, carol } = cast;
    const carolLaptop = await h.connect(server, carol.account.token);
    const { id } = await groupOf(alice, [bob, carol]);
    await carolLaptop.waitForPush('conversation_added', (p) => p.conversation.id === id);
    await carol.socket.send(id, 'c1', 'carol was here');
    await bob.socket.send(id, 'b1', 'hi carol');
    await Promise.all([carol.socket.barrier(), carolLaptop.barrier()]);
    const counts = [carol.socket.pushes.length, carolLaptop.pushes.length];
    const removed = await groupChange(alice.socket, id, 'remove-carol', { kind: 'remove_member', userId: carol.user.id });
    return { server, ...cast, carolLaptop, id, removed, counts };
  }

  it('receives the member_removed event on every device, and nothing about the group after it', async () => {
    const { alice, bob, carol, dave, carolLaptop, id, removed, counts } = await removal();
    expect(removed).toMatchObject({ kind: 'member_removed', seq: 4, userId: carol.user.id, senderId: alice.user.id });
    for (const socket of [carol.socket, carolLaptop]) {
      expect(await socket.waitForPush('event', (p) => p.event.seq === removed.seq)).toEqual({ type: 'event', event: removed });
    }
    // Life goes on in the group: envelopes, typing, receipts, roles, additions.
    await alice.socket.send(id, 'after', 'carol is gone');
    await bob.socket.send(id, 'react', '👍 on c1');
    await bob.socket.call({ type: 'typing', conversationId: id }, 'ok');
    await bob.socket.call({ type: 'receipt', conversationId: id, kind: 'read', seq: 6 }, 'ok');
    await groupChange(alice.socket, id, 'admin-bob', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    await groupChange(alice.socket, id, 'add-dave', { kind: 'add_members', userIds: [dave.user.id] });
    await alice.socket.waitForPush('watermark', (p) => p.userId === bob.user.id);
    await Promise.all([carol.socket.barrier(), carolLaptop.barrier()]);
    expect(pushesAbout(carol.socket, id, counts[0])).toEqual([{ type: 'event', event: removed }]);
    expect(pushesAbout(carolLaptop, id, counts[1])).toEqual([{ type: 'event', event: removed }]);
  });

  it('catches up to the removal and no further', async () => {
    const { alice, bob, carol, id, removed } = await removal();
    await alice.socket.send(id, 'after', 'carol is gone');
    await groupChange(alice.socket, id, 'admin-bob', { kind: 'set_role', userId: bob.user.id, role: 'admin' });
    const log = await visibleLog(carol.socket, id);
    expect(log.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(log.events.at(-1)).toEqual(removed);
    expect(log.skips).toEqual([]);
    const past = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: removed.seq }, 'events');
    expect(past).toMatchObject({ events: [], hasMore: false });
    const paged = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: 2, limit: 1 }, 'events');
    expect(paged.events.map((e) => e.seq)).toEqual([3]);
    expect(paged.hasMore).toBe(true);
    const last = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: 3, limit: 1 }, 'events');
    expect(last.events.map((e) => e.seq)).toEqual([4]);
    expect(last.hasMore).toBe(false);
    expect(envelopesIn(log.events).map(testOpened)).toEqual(['carol was here', 'hi carol']);
  });

  it('lists the group with isMember false, no members and lastSeq at the removal', async () => {
    const { alice, carol, id, removed } = await removal();
    await alice.socket.send(id, 'after', 'carol is gone');
    const listed = await listedConversation(carol.socket, id);
    expect(listed).toEqual({
      id,
      kind: 'group',
      name: null,
      members: [],
      lastSeq: removed.seq,
      createdAt: anyTime,
      isMember: false,
    });
    const ownerView = await listedConversation(alice.socket, id);
    expect(listed!.createdAt).toBe(ownerView!.createdAt);
    expect(ownerView!.members.map((m) => m.id)).not.toContain(carol.user.id);
  });

  it('is answered not_found for envelopes, group changes, typing and receipts, exactly as for a group that does not exist', async () => {
    const { alice, bob, carol, id, removed } = await removal();
    const nowhere = newGroupId();
    const frames: Array<(conversationId: string) => FrameRequest> = [
      (conversationId) => ({ type: 'send_envelope', conversationId, clientId: 'late', ciphertext: testSealed('let me back') }),
      // Sealed for the devices as she last knew them, as her client would.
      (conversationId) => ({
        type: 'send_envelope',
        conversationId,
        clientId: 'late-known',
        ciphertext: testSealed('let me back'),
        devicesVersion: 1,
      }),
      // Deleting her own envelope for everyone, after the removal.
      (conversationId) => ({
        type: 'send_envelope',
        conversationId,
        clientId: 'late-delete',
        ciphertext: testSealed(''),
        deletes: 'c1',
      }),
      (conversationId) => ({ type: 'group_change', conversationId, clientChangeId: 'late-leave', change: { kind: 'leave' } }),
      (conversationId) => ({
        type: 'group_change',
        conversationId,
        clientChangeId: 'late-add',
        change: { kind: 'add_members', userIds: [carol.user.id] },
      }),
      (conversationId) => ({
        type: 'group_change',
        conversationId,
        clientChangeId: 'late-remove',
        change: { kind: 'remove_member', userId: bob.user.id },
      }),
      (conversationId) => ({
        type: 'group_change',
        conversationId,
        clientChangeId: 'late-role',
        change: { kind: 'set_role', userId: bob.user.id, role: 'admin' },
      }),
      (conversationId) => ({ type: 'typing', conversationId }),
      (conversationId) => ({ type: 'receipt', conversationId, kind: 'delivered', seq: 4 }),
      (conversationId) => ({ type: 'receipt', conversationId, kind: 'read', seq: 3 }),
    ];
    await Promise.all([alice.socket.barrier(), bob.socket.barrier()]);
    const counts = [alice.socket.pushes.length, bob.socket.pushes.length];
    for (const frame of frames) {
      const real = await carol.socket.request(frame(id));
      const missing = await carol.socket.request(frame(nowhere));
      expect(real, JSON.stringify(frame(id))).toMatchObject({
        type: 'error',
        code: 'not_found',
        reason: 'conversation_not_found',
      });
      expect(withoutRid(real)).toEqual(withoutRid(missing));
    }
    await Promise.all([alice.socket.barrier(), bob.socket.barrier()]);
    // The removal itself ends presence between Carol and those who no longer share any with her
    // (presence-parting.test.ts), in the presence queue: that withdrawal may land after the first
    // barrier. Her frames here never cause presence; everything else must be silent.
    const besidesPresence = (pushes: readonly { type: string }[]) => pushes.filter((frame) => frame.type !== 'presence');
    expect(besidesPresence(alice.socket.pushes.slice(counts[0]))).toEqual([]);
    expect(besidesPresence(bob.socket.pushes.slice(counts[1]))).toEqual([]);
    expect((await listedConversation(alice.socket, id))!.lastSeq).toBe(removed.seq);
    expect((await listedConversation(alice.socket, id))!.members.find((m) => m.id === carol.user.id)).toBeUndefined();
    // Her watermarks did not move either (she is not listed, and nothing was stored).
    expect((await visibleLog(carol.socket, id)).events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });
});

describeEachStore('a removed member retrying', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('gets the original event for a resend of an envelope stored before the removal, and nothing new is stored', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const { id } = await groupOf(alice, [bob]);
    const sent = await bob.socket.send(id, 'b1', 'before');
    await groupChange(alice.socket, id, 'rm-bob', { kind: 'remove_member', userId: bob.user.id });
    // The outbox resends when the first answer was lost: it was stored, so it must not fail now.
    expect(await bob.socket.send(id, 'b1', 'before')).toEqual(sent);
    expect((await listedConversation(alice.socket, id))!.lastSeq).toBe(3);
    // An envelope sealed after the removal is refused like in a group that does not exist.
    expect(await bob.socket.sendEnvelope(id, 'b2', 'after')).toMatchObject({
      type: 'error',
      code: 'not_found',
      reason: 'conversation_not_found',
    });
  });
});

describeEachStore('a member who leaves', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('gets member_left on their other devices, then nothing, and keeps the history up to it', async () => {
    const server = await h.startServer();
    const { alice, bob } = await people(h, server, 'alice', 'bob');
    const bobLaptop = await h.connect(server, bob.account.token);
    const { id } = await groupOf(alice, [bob]);
    await bobLaptop.waitForPush('conversation_added', (p) => p.conversation.id === id);
    await alice.socket.send(id, 'm1', 'hi');
    const left = await groupChange(bob.socket, id, 'bob-leaves', { kind: 'leave' });
    expect(left).toMatchObject({ kind: 'member_left', seq: 3, senderId: bob.user.id, newOwnerId: null });
    expect(await bobLaptop.waitForPush('event', (p) => p.event.seq === 3)).toEqual({ type: 'event', event: left });
    expect(await alice.socket.waitForPush('event', (p) => p.event.seq === 3)).toEqual({ type: 'event', event: left });
    await alice.socket.send(id, 'm2', 'bye bob');
    await alice.socket.call({ type: 'typing', conversationId: id }, 'ok');
    await Promise.all([bob.socket.barrier(), bobLaptop.barrier()]);
    // (Whether group_created is pushed as an event besides conversation_added is not the point here.)
    expect(
      pushesAbout(bobLaptop, id).filter((p) => p.type !== 'conversation_added' && !(p.type === 'event' && p.event.seq === 1)),
    ).toEqual([envelopeAt2, { type: 'event', event: left }]);
    expect(pushesAbout(bob.socket, id).filter((p) => p.type === 'event' && p.event.seq > 3)).toEqual([]);
    expect((await visibleLog(bob.socket, id)).events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(await listedConversation(bob.socket, id)).toMatchObject({ isMember: false, members: [], name: null, lastSeq: 3 });
    expect(await bob.socket.sendEnvelope(id, 'late', 'wait')).toMatchObject({
      type: 'error',
      code: 'not_found',
      reason: 'conversation_not_found',
    });
  });
});

describeEachStore('a member added again', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  async function away() {
    const server = await h.startServer();
    const cast = await people(h, server, 'alice', 'bob', 'carol');
    const { alice, bob, carol } = cast;
    const { id } = await groupOf(alice, [bob, carol]);
    await alice.socket.send(id, 'm1', 'all three'); // 2
    const removed = await groupChange(alice.socket, id, 'rm-carol', { kind: 'remove_member', userId: carol.user.id }); // 3
    await alice.socket.send(id, 'm2', 'secret while carol is away'); // 4
    await bob.socket.send(id, 'm3', 'another secret'); // 5
    const readded = await groupChange(alice.socket, id, 'add-carol', { kind: 'add_members', userIds: [carol.user.id] }); // 6
    const back = await bob.socket.send(id, 'm4', 'welcome back'); // 7
    return { ...cast, id, removed, readded, back };
  }

  it('catches up from the old cursor by skipping the time away', async () => {
    const { carol, id, removed, readded, back } = await away();
    expect([removed.seq, readded.seq, back.seq]).toEqual([3, 6, 7]);
    const page = await carol.socket.call({ type: 'catch_up', conversationId: id, afterSeq: removed.seq }, 'events');
    expect(page.skippedTo).toBe(5);
    expect(page.events).toEqual([readded, back]);
    expect(page.hasMore).toBe(false);
  });

  it('sees two periods from the start, in pages that never span both', async () => {
    const { carol, id } = await away();
    const log = await visibleLog(carol.socket, id);
    expect(log.events.map((e) => e.seq)).toEqual([1, 2, 3, 6, 7]);
    expect(log.skips).toEqual([5]);
    expect(log.pages).toEqual([
      { afterSeq: 0, seqs: [1, 2, 3], skippedTo: undefined, hasMore: true },
      { afterSeq: 3, seqs: [6, 7], skippedTo: 5, hasMore: false },
    ]);
    expect(envelopesIn(log.events).map(testOpened)).toEqual(['all three', 'welcome back']);
    // Page by page, the same.
    const small = await visibleLog(carol.socket, id, 0, 2);
    expect(small.events.map((e) => e.seq)).toEqual([1, 2, 3, 6, 7]);
  });

  it('is a member again: listed with lastSeq and members, hears of it by conversation_added, receives new events', async () => {
    const { alice, bob, carol, id, readded, back } = await away();
    const push = await carol.socket.waitForPush(
      'conversation_added',
      (p) => p.conversation.id === id && p.conversation.isMember && p.conversation.lastSeq >= readded.seq,
    );
    expect(push.conversation).toMatchObject({ lastSeq: readded.seq });
    expect(await carol.socket.waitForPush('event', (p) => p.event.seq === back.seq)).toEqual({ type: 'event', event: back });
    await carol.socket.barrier();
    expect(carol.socket.pushesOf('event').filter((p) => p.event.conversationId === id && [4, 5].includes(p.event.seq))).toEqual(
      [],
    );
    const listed = await listedConversation(carol.socket, id);
    expect(listed).toMatchObject({ isMember: true, lastSeq: back.seq });
    expect(listed!.members.map((m) => [m.id, m.role])).toEqual([
      [alice.user.id, 'owner'],
      [bob.user.id, 'member'],
      [carol.user.id, 'member'],
    ]);
    expect(await carol.socket.send(id, 'c-back', 'thanks')).toMatchObject({ seq: 8 });
  });
});
