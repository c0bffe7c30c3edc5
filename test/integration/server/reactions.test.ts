import { afterEach, expect, it } from 'vitest';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { REFUSALS } from '../../../sync/server/refusals.js';
import { createServerHarness, type TestClient } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

/** More distinct single emojis than one person may have on a message. */
const EMOJIS = [...'😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗😙😚🙂🤗🤩🤔'];

let changeIds = 0;
function react(socket: TestClient, conversationId: string, messageId: string, emoji: string, on: boolean) {
  return socket.request({
    type: 'change',
    conversationId,
    clientChangeId: `react-${++changeIds}`,
    change: { kind: 'reaction', messageId, emoji, on },
  });
}

describeEachStore('reactions', (backend) => {
  const h = createServerHarness({ backend });
  afterEach(() => h.cleanup());

  it('lets either member add and remove reactions, each an event with its own seq, pushed to the other', async () => {
    const server = await h.startServer();
    const { alice, bob, aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'party at 8');

    const thumbs = await bobSocket.change(conversation.id, 'b1', { kind: 'reaction', messageId: 'm1', emoji: '👍', on: true });
    expect(thumbs).toMatchObject({ kind: 'reaction', seq: 2, senderId: bob.user.id, messageId: 'm1', emoji: '👍', on: true });
    expect((await aliceSocket.waitForPush('event', (p) => p.event.seq === 2)).event).toEqual(thumbs);

    // Authors react to their own messages too; ZWJ sequences and flags are one emoji each.
    const own = await aliceSocket.change(conversation.id, 'a1', { kind: 'reaction', messageId: 'm1', emoji: '👩‍👩‍👧‍👦', on: true });
    expect(own).toMatchObject({ seq: 3, senderId: alice.user.id, emoji: '👩‍👩‍👧‍👦' });
    await aliceSocket.change(conversation.id, 'a2', { kind: 'reaction', messageId: 'm1', emoji: '🇫🇷', on: true });

    const removed = await bobSocket.change(conversation.id, 'b2', { kind: 'reaction', messageId: 'm1', emoji: '👍', on: false });
    expect(removed).toMatchObject({ kind: 'reaction', seq: 5, emoji: '👍', on: false });
    expect((await aliceSocket.waitForPush('event', (p) => p.event.seq === 5)).event).toEqual(removed);

    const events = await bobSocket.allEvents(conversation.id);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('stores a reaction that is already in place (clients apply set semantics, so it converges)', async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'x');
    // Two devices both added 👍 while offline; and an "off" for an emoji that is not there.
    expect(await react(bobSocket, conversation.id, 'm1', '👍', true)).toMatchObject({ type: 'sent' });
    expect(await react(bobSocket, conversation.id, 'm1', '👍', true)).toMatchObject({ type: 'sent', event: { seq: 3 } });
    expect(await react(bobSocket, conversation.id, 'm1', '🎉', false)).toMatchObject({
      type: 'sent',
      event: { seq: 4, on: false },
    });
  });

  it(`allows at most ${LIMITS.maxReactionsPerPerson} distinct emojis per person per message`, async () => {
    const server = await h.startServer();
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'rate me');
    await aliceSocket.send(conversation.id, 'm2', 'and me');
    const allowed = EMOJIS.slice(0, LIMITS.maxReactionsPerPerson);
    const [extra, another] = EMOJIS.slice(LIMITS.maxReactionsPerPerson);
    for (const emoji of allowed) {
      expect(await react(bobSocket, conversation.id, 'm1', emoji, true)).toMatchObject({ type: 'sent' });
    }

    const refused = await react(bobSocket, conversation.id, 'm1', extra!, true);
    expect(refused).toMatchObject({ type: 'error', ...REFUSALS.too_many_reactions });
    expect(REFUSALS.too_many_reactions.code).toBe('invalid');
    // Re-adding one already there adds nothing, so it is not over the limit.
    expect(await react(bobSocket, conversation.id, 'm1', allowed[0]!, true)).toMatchObject({ type: 'sent' });
    // The limit is per person and per message.
    expect(await react(aliceSocket, conversation.id, 'm1', extra!, true)).toMatchObject({ type: 'sent' });
    expect(await react(bobSocket, conversation.id, 'm2', extra!, true)).toMatchObject({ type: 'sent' });
    // Removing one makes room again.
    expect(await react(bobSocket, conversation.id, 'm1', allowed[1]!, false)).toMatchObject({ type: 'sent' });
    expect(await react(bobSocket, conversation.id, 'm1', another!, true)).toMatchObject({ type: 'sent' });
    expect(await react(bobSocket, conversation.id, 'm1', extra!, true)).toMatchObject({ type: 'error', code: 'invalid' });
  });

  it('refuses a reaction to a message that does not exist, and anything but a single emoji', async () => {
    const server = await h.startServer();
    const { aliceSocket, conversation } = await h.pair(server);
    await aliceSocket.send(conversation.id, 'm1', 'x');
    expect(await react(aliceSocket, conversation.id, 'ghost', '👍', true)).toMatchObject({
      type: 'error',
      ...REFUSALS.no_such_message,
    });
    for (const notAnEmoji of ['a', '👍👍', '1', ':)', '']) {
      expect(await react(aliceSocket, conversation.id, 'm1', notAnEmoji, true)).toMatchObject({
        type: 'error',
        code: 'bad_frame',
      });
    }
    expect((await aliceSocket.allEvents(conversation.id)).map((e) => e.kind)).toEqual(['message']);
  });
});
