import { afterEach, expect, it } from 'vitest';
import { ENVELOPE_LIMITS } from '../../../sync/protocol/envelope-frames.js';
import type { ConversationEvent, ServerFrame } from '../../../sync/protocol/frames.js';
import { LIMITS } from '../../../sync/protocol/limits.js';
import { CATCH_UP_PART_BYTES } from '../../../sync/server/handlers/catch-up-parts.js';
import { RawSocket, type Received } from '../../support/raw-socket.js';
import { createServerHarness, type TestServer } from '../../support/server-harness.js';
import { describeEachStore } from '../../support/store-backends.js';

type EventsPart = Extract<ServerFrame, { type: 'events_part' }>;
type EventsReply = Extract<ServerFrame, { type: 'events' }>;

describeEachStore('catch-up pages asked for in parts', (backend) => {
  const harness = createServerHarness({ backend });
  afterEach(() => harness.cleanup());

  /** Bob's catch-up of the conversation from `afterSeq`: every frame that answered it, raw and parsed. */
  async function catchUp(server: TestServer, token: string, conversationId: string, afterSeq: number): Promise<Received[]> {
    const socket = await RawSocket.connect(server.url, token);
    try {
      const frame = { type: 'catch_up', rid: 'page', conversationId, afterSeq, limit: LIMITS.maxCatchUpPage, inParts: true };
      const replies = await socket.exchange([JSON.stringify(frame)]);
      expect(socket.violations).toEqual([]);
      return replies;
    } finally {
      await socket.close();
    }
  }

  it('arrive as parts, each frame under the budget and in order, the last one an events reply with hasMore', async () => {
    const server = await harness.startServer();
    const { bob, aliceSocket, bobSocket, conversation } = await harness.pair(server);
    // ~1.5 KiB of JSON per envelope, from both of them.
    const sent: ConversationEvent[] = [];
    for (let i = 0; i < 400; i += 1) {
      sent.push(await (i % 2 === 0 ? aliceSocket : bobSocket).send(conversation.id, `m-${i}`, `сообщение ${i} `.repeat(40)));
    }

    const replies = await catchUp(server, bob.token, conversation.id, 0);
    const parts = replies.slice(0, -1).map((reply) => reply.frame as EventsPart);
    const last = replies.at(-1)!.frame as EventsReply;
    expect(parts.length).toBeGreaterThan(3);
    expect(
      parts.every((part) => part.type === 'events_part' && part.rid === 'page' && part.conversationId === conversation.id),
    ).toBe(true);
    expect(last).toMatchObject({ type: 'events', rid: 'page', conversationId: conversation.id, hasMore: false });
    for (const reply of replies) expect(Buffer.byteLength(reply.raw)).toBeLessThanOrEqual(CATCH_UP_PART_BYTES);
    // Every event once, in order, and each frame names the users its own events name.
    const frames = [...parts, last];
    expect(frames.flatMap((frame) => frame.events)).toEqual(sent);
    for (const frame of frames) {
      const senders = new Set(frame.events.map((event) => event.senderId));
      expect(new Set(frame.users.map((user) => user.id))).toEqual(senders);
    }

    // A page cut short by its event count says so on its last frame.
    const socket = await RawSocket.connect(server.url, bob.token);
    const [...cut] = await socket.exchange([
      JSON.stringify({ type: 'catch_up', rid: 'cut', conversationId: conversation.id, afterSeq: 0, limit: 300, inParts: true }),
    ]);
    await socket.close();
    const cutLast = cut.at(-1)!.frame as EventsReply;
    expect(cut.length).toBeGreaterThan(2);
    expect(cutLast.hasMore).toBe(true);
    expect(cut.flatMap((reply) => (reply.frame as EventsPart | EventsReply).events)).toEqual(sent.slice(0, 300));

    // Without asking for parts, the page is one frame as before.
    const whole = await bobSocket.call(
      { type: 'catch_up', conversationId: conversation.id, afterSeq: 0, limit: LIMITS.maxCatchUpPage },
      'events',
    );
    expect(whole.events).toEqual(sent);

    // The metrics count a page in parts once, with every event of its parts.
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const sample = (series: string) => Number(new RegExp(`^${series} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(sample('sync_catch_up_pages_total')).toBe(3);
    expect(sample('sync_catch_up_events_total')).toBe(2 * sent.length + 300);
  });

  it('send an event larger than the budget alone, and the page still ends with its events reply', async () => {
    const server = await harness.startServer();
    const { bob, aliceSocket, conversation } = await harness.pair(server);
    // As long as a sealed envelope may be: one event past the budget.
    const oversized = (clientId: string) =>
      aliceSocket.send(conversation.id, clientId, 'x'.repeat(Math.floor((ENVELOPE_LIMITS.maxCiphertextChars * 3) / 4) - 100));
    const small = await aliceSocket.send(conversation.id, 'small-1', 'hello');
    const huge = await oversized('huge-1');
    const huge2 = await oversized('huge-2');
    const tail = await aliceSocket.send(conversation.id, 'small-2', 'bye');

    const replies = await catchUp(server, bob.token, conversation.id, 0);
    expect(replies.map((reply) => reply.frame.type)).toEqual(['events_part', 'events_part', 'events_part', 'events']);
    expect(replies.map((reply) => (reply.frame as EventsPart | EventsReply).events)).toEqual([[small], [huge], [huge2], [tail]]);
    expect(Buffer.byteLength(replies[1]!.raw)).toBeGreaterThan(CATCH_UP_PART_BYTES);
    expect((replies.at(-1)!.frame as EventsReply).hasMore).toBe(false);

    // A page of that one event alone is its events reply alone.
    const alone = await catchUp(server, bob.token, conversation.id, small.seq);
    expect(alone.map((reply) => (reply.frame as EventsPart | EventsReply).events)).toEqual([[huge], [huge2], [tail]]);
  });
});
