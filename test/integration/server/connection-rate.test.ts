/**
 * Each sync connection has a frame budget: frames over it are answered rate_limited with when to
 * send them again and are not handled at all; a connection that keeps sending regardless is closed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS_PATH, type ConversationEvent, type ServerFrame } from '../../../sync/protocol/frames.js';
import { devicesVersionOf } from '../../support/envelope-devices.js';
import { createServerHarness, manualRuntime, testOpened, testSealed } from '../../support/server-harness.js';

const h = createServerHarness();
afterEach(() => h.cleanup());

async function refusedFrames(httpUrl: string): Promise<number> {
  const text = await (await fetch(httpUrl + METRICS_PATH)).text();
  const line = text.split('\n').find((l) => l.startsWith('sync_frames_rate_limited_total '));
  return Number(line?.split(' ')[1]);
}

describe('frames per connection', () => {
  it('refuses frames over the budget unhandled, says when to come back, and takes them then', async () => {
    const { runtime, clock } = manualRuntime();
    const server = await h.startServer({ runtime, frameRate: { perSecond: 10, burst: 3, closeAfterRefused: 100 } });
    // Alice's start_conversation leaves two frames in her bucket; five envelopes go pipelined.
    const { aliceSocket, bobSocket, conversation } = await h.pair(server);
    // Learnt on Bob's connection, so that every frame of Alice's is an envelope the server can store.
    const devicesVersion = await devicesVersionOf(bobSocket, conversation.id);
    const send = (id: string) =>
      aliceSocket.request({
        type: 'send_envelope',
        conversationId: conversation.id,
        clientId: id,
        ciphertext: testSealed(id),
        devicesVersion,
      });
    const replies: ServerFrame[] = await Promise.all(['m1', 'm2', 'm3', 'm4', 'm5'].map(send));
    expect(replies.map((r) => r.type)).toEqual(['sent', 'sent', 'error', 'error', 'error']);
    expect(replies.slice(2)).toEqual([
      expect.objectContaining({ code: 'rate_limited', retryAfterMs: 100 }),
      expect.objectContaining({ code: 'rate_limited', retryAfterMs: 200 }),
      expect.objectContaining({ code: 'rate_limited', retryAfterMs: 300 }),
    ]);
    expect(await refusedFrames(server.httpUrl)).toBe(3);
    // Refused means not handled: nothing of them was stored. (Bob's connection has its own budget.)
    expect((await bobSocket.allEvents(conversation.id)).map(textOf)).toEqual(['m1', 'm2']);

    // Coming back when told, each is taken.
    for (const id of ['m3', 'm4', 'm5']) {
      clock.set(clock.now() + 100);
      expect(await send(id)).toMatchObject({ type: 'sent' });
    }
    expect((await bobSocket.allEvents(conversation.id)).map(textOf)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(await refusedFrames(server.httpUrl)).toBe(3);
  });

  it('closes a connection that keeps sending after being told to wait (1008)', async () => {
    const { runtime } = manualRuntime();
    const server = await h.startServer({ runtime, frameRate: { perSecond: 10, burst: 5, closeAfterRefused: 20 } });
    const socket = await h.connect(server, (await h.createAccount(server)).token);
    const answers = Array.from({ length: 40 }, () => socket.request({ type: 'ping' }, 1_000).catch(() => null));
    expect(await socket.closed).toEqual({ code: 1008, reason: 'Too many frames' });
    const answered = (await Promise.all(answers)).filter((a) => a !== null);
    expect(answered.filter((a) => a.type === 'ok')).toHaveLength(5);
    expect(answered.filter((a) => a.type === 'error' && a.code === 'rate_limited')).toHaveLength(20);
    expect(server.logLines.some((l) => l.message.includes('keeps sending past its frame budget'))).toBe(true);
  });
});

function textOf(event: ConversationEvent): string {
  return event.kind === 'envelope' ? testOpened(event) : event.kind;
}
