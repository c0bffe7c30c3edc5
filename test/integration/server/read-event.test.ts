/**
 * ServerStore.readEventsAt: the events a node reads back when other nodes stored them. It must
 * serve exactly what readEvents serves at each seq, to every reader, however the log came about:
 * periods that end and open again, events hidden by a block, envelopes deleted for everyone; and
 * in one read, requests of many conversations and readers each get their own answer.
 */
import { afterEach, expect, it } from 'vitest';
import type { ConversationEvent } from '../../../sync/protocol/frames.js';
import type { ServerStore } from '../../../sync/server/store/server-store.js';
import { createServerHarness, groupChange, groupOf, people, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

let clock = 0;
async function block(socket: TestClient, userId: string, value: boolean): Promise<void> {
  clock += 1;
  await socket.call(
    { type: 'set_settings', settings: [{ setting: { kind: 'blocked', userId, value }, at: clock, by: 'device' }] },
    'settings',
  );
}

/** What readEvents serves at `seq` to `userId`: the first event of the page after seq − 1 when it is that seq. */
async function servedByPage(store: ServerStore, conversationId: string, userId: string, seq: number) {
  const page = await store.readEvents({ conversationId, userId, afterSeq: seq - 1, limit: 1 });
  const event = page?.events[0];
  return event?.seq === seq ? event : null;
}

describeEachStore('reading back one event', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('serves each seq to each person exactly as a page does: nothing outside their periods or hidden from them, deleted ones emptied', async () => {
    const server = await h.startServer();
    const { alice, bob, carol } = await people(h, server, 'alice', 'bob', 'carol');
    const group = await groupOf(alice, [bob]);
    await alice.socket.send(group.id, 'before-carol', 'said before carol came');
    await groupChange(alice.socket, group.id, 'add', { kind: 'add_members', userIds: [carol.user.id] });
    await carol.socket.send(group.id, 'carol-1', 'hi all');
    // An edit or a reaction is one more envelope to the server.
    await alice.socket.send(group.id, 'edit-old', 'edited for those who were there');
    await bob.socket.send(group.id, 'like', '👍');
    await groupChange(alice.socket, group.id, 'remove', { kind: 'remove_member', userId: carol.user.id });
    await alice.socket.send(group.id, 'while-away', 'carol is gone');
    await groupChange(alice.socket, group.id, 'add-again', { kind: 'add_members', userIds: [carol.user.id] });
    await alice.socket.send(group.id, 'back', 'welcome back');
    await alice.socket.send(group.id, 'delete', 'deleted', { deletes: 'while-away' });

    const { conversation: direct } = await alice.socket.call({ type: 'start_conversation', username: 'bob' }, 'conversation');
    await alice.socket.send(direct.id, 'a1', 'hello bob');
    await block(bob.socket, alice.user.id, true);
    await alice.socket.send(direct.id, 'a2', 'hidden from bob');
    await alice.socket.send(direct.id, 'a2-edit', 'still hidden');
    await block(bob.socket, alice.user.id, false);
    await alice.socket.send(direct.id, 'a3', 'after the block');
    await server.close();

    const store = await server.database!.open();
    try {
      const asked: Array<{ who: string; conversationId: string; userId: string; seq: number }> = [];
      for (const conversation of [group, direct]) {
        const { lastSeq } = (await store.getConversationForMember(conversation.id, alice.user.id))!;
        for (const person of [alice, bob, carol]) {
          for (let seq = 0; seq <= lastSeq + 1; seq += 1) {
            asked.push({ who: person.user.username, conversationId: conversation.id, userId: person.user.id, seq });
          }
        }
      }
      // All in one read, and each one alone: the same answers, and each the page's.
      const together = await store.readEventsAt(asked);
      const served: Array<{ who: string; seq: number; event: ConversationEvent | null }> = [];
      for (const [index, request] of asked.entries()) {
        const [alone] = await store.readEventsAt([request]);
        const where = `${request.who} at ${request.seq} of ${request.conversationId}`;
        expect(together[index], where).toEqual(await servedByPage(store, request.conversationId, request.userId, request.seq));
        expect(alone, where).toEqual(together[index]);
        served.push({ who: request.who, seq: request.seq, event: together[index]! });
      }
      expect(together).toHaveLength(asked.length);
      // The log holds each case the rules decide on, so the comparison above covered them.
      const seen = (who: string, clientId: string) =>
        served.find((s) => s.who === who && s.event?.kind === 'envelope' && s.event.clientId === clientId)?.event;
      expect(seen('bob', 'before-carol')).toBeDefined();
      expect(seen('carol', 'before-carol')).toBeUndefined();
      expect(seen('carol', 'edit-old')).toBeDefined();
      expect(seen('alice', 'while-away')).toMatchObject({ deleted: true, ciphertext: '' });
      expect(seen('carol', 'while-away')).toBeUndefined();
      expect(seen('carol', 'back')).toBeDefined();
      expect(seen('bob', 'a2')).toBeUndefined();
      expect(seen('bob', 'a2-edit')).toBeUndefined();
      expect(seen('alice', 'a2')).toBeDefined();
      expect(seen('bob', 'a3')).toBeDefined();
      // Beyond the log, and for someone who was never a member: nothing.
      expect(served.filter((s) => s.seq === 0 || s.event === null).length).toBeGreaterThan(0);
      expect(await store.readEventsAt([{ conversationId: direct.id, userId: carol.user.id, seq: 1 }])).toEqual([null]);
      expect(await store.readEventsAt([])).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
