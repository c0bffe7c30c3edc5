/**
 * Disappearing messages, the store contract over every backend: an envelope keeps the timer it was
 * sent with and attests it back.
 */
import { expect, it } from 'vitest';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { appendTestEnvelope, type TestEnvelope } from '../../support/store-envelopes.js';
import { describeStoreContract, NOW } from '../../support/store-contract.js';

const HOUR = 3_600_000;

describeStoreContract('disappearing envelopes', (suite) => {
  /** A group of `size` people, the first its owner: its id and their ids. */
  async function group(size: number): Promise<{ conversationId: string; members: string[] }> {
    const members = [];
    for (let index = 0; index < size; index += 1) members.push(await suite.person());
    const [owner, ...others] = members;
    const conversationId = `group-of-${owner}`;
    const created = await suite.store.createConversation({
      conversationId,
      creatorId: owner!,
      conversation: { kind: 'group', memberIds: others },
      createdAt: NOW,
      maxMembers: 10,
      caps: UNCAPPED,
    });
    expect(created.status).toBe('created');
    return { conversationId, members };
  }

  /** Stores the envelope (at NOW unless it says when) and answers the stored event. */
  async function send(envelope: TestEnvelope): Promise<EnvelopeEvent> {
    const result = await appendTestEnvelope(suite.store, { sentAt: NOW, ...envelope });
    if (result.status !== 'stored') throw new Error(`Expected it stored, got ${JSON.stringify(result)}`);
    return result.event;
  }

  /** The envelope at `seq` as `userId`'s catch-up serves it. */
  async function served(conversationId: string, userId: string, seq: number): Promise<EnvelopeEvent> {
    const page = await suite.store.readEvents({ conversationId, userId, afterSeq: seq - 1, limit: 1 });
    const event = page?.events[0];
    if (event?.kind !== 'envelope' || event.seq !== seq) throw new Error(`No envelope at ${seq}: ${JSON.stringify(page)}`);
    return event;
  }

  it('attests the timer back, on the answer, a resend and catch-up; an envelope without one says none', async () => {
    const { conversationId, members } = await group(2);
    const [ann, ben] = members as [string, string];
    const timed = await send({ conversationId, senderId: ann, clientId: 'timed', expiresInMs: HOUR });
    const plain = await send({ conversationId, senderId: ann, clientId: 'plain' });
    expect(timed).toMatchObject({ expiresInMs: HOUR, deleted: false });
    expect(plain).not.toHaveProperty('expiresInMs');
    // Sent again (with no timer, even): the envelope as stored.
    expect(await appendTestEnvelope(suite.store, { conversationId, senderId: ann, clientId: 'timed', sentAt: NOW })).toEqual({
      status: 'duplicate',
      event: timed,
    });
    expect(await served(conversationId, ben, timed.seq)).toEqual(timed);
    expect(await served(conversationId, ben, plain.seq)).toEqual(plain);
  });
});
