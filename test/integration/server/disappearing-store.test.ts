/**
 * Disappearing messages, the store contract over every backend (ServerStore.purgeExpiredEnvelopes):
 * an envelope with a timer is stamped once every member but its sender has read it, and purged as a
 * delete for everyone purges one when its timer has run since the stamp, or since it was stored plus
 * the unread grace; catch-up serves it deleted with its timer. Nothing else is touched. Times are
 * the ones handed to the store: no clock runs here.
 */
import { expect, it } from 'vitest';
import { DISAPPEARING_LIMITS } from '../../../sync/protocol/disappearing.js';
import type { EnvelopeEvent } from '../../../sync/protocol/envelope-frames.js';
import { UNCAPPED } from '../../../sync/server/store/cap-rules.js';
import { appendTestEnvelope, type TestEnvelope } from '../../support/store-envelopes.js';
import { describeStoreContract, NOW } from '../../support/store-contract.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const GRACE = DISAPPEARING_LIMITS.unreadGraceMs;
/** Room for everything a case stores: no pass here is cut short but where a case says so. */
const LIMIT = 100;

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

  const read = (conversationId: string, userId: string, seq: number) =>
    suite.store.raiseWatermark({ conversationId, userId, kind: 'read', seq });
  const sweep = (now: number, limit = LIMIT) => suite.store.purgeExpiredEnvelopes(now, limit);

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

  it('keeps an envelope until every member but its sender has read it, then for its timer from when a pass found it so', async () => {
    const { conversationId, members } = await group(3);
    const [ann, ben, cat] = members as [string, string, string];
    const event = await send({ conversationId, senderId: ann, clientId: 'm1', expiresInMs: 5 * MINUTE });

    await read(conversationId, ben, event.seq);
    // Ben has read it, Cat not: however long its timer has run since it was stored, it stays.
    expect(await sweep(NOW + HOUR)).toEqual({ stamped: 0, purged: 0 });
    expect(await served(conversationId, ben, event.seq)).toEqual(event);

    // Cat reads it; its sender never did (their watermark is not needed). The next pass stamps it
    // read, and its five minutes run from that pass, not from the reads.
    await read(conversationId, cat, event.seq);
    const stampedAt = NOW + 2 * HOUR;
    expect(await sweep(stampedAt)).toEqual({ stamped: 1, purged: 0 });
    expect(await sweep(stampedAt + 5 * MINUTE - 1)).toEqual({ stamped: 0, purged: 0 });
    expect(await served(conversationId, cat, event.seq)).toEqual(event);
    expect(await sweep(stampedAt + 5 * MINUTE)).toEqual({ stamped: 0, purged: 1 });

    // As a delete for everyone leaves it: nothing of what it said, nor the role it was sent with; its timer stays.
    const { senderRole: _role, ...attested } = event;
    const purged = { ...attested, ciphertext: '', attachments: [], deleted: true, expiresInMs: 5 * MINUTE };
    for (const userId of members) expect(await served(conversationId, userId, event.seq)).toEqual(purged);
    // Done: a pass later finds nothing more to do.
    expect(await sweep(stampedAt + HOUR)).toEqual({ stamped: 0, purged: 0 });
  });

  it('purges an envelope a member never reads once its timer and the unread grace have run since it was stored', async () => {
    const { conversationId, members } = await group(3);
    const [ann, ben, cat] = members as [string, string, string];
    const sentAt = NOW + MINUTE;
    const event = await send({ conversationId, senderId: ann, clientId: 'm1', expiresInMs: HOUR, sentAt });
    await read(conversationId, ben, event.seq);

    expect(await sweep(sentAt + HOUR + GRACE - 1)).toEqual({ stamped: 0, purged: 0 });
    expect(await sweep(sentAt + HOUR + GRACE)).toEqual({ stamped: 0, purged: 1 });
    expect(await served(conversationId, cat, event.seq)).toMatchObject({ ciphertext: '', deleted: true, expiresInMs: HOUR });
  });

  it('drops the purged envelope’s references to its uploads, so nobody downloads them and collection takes them', async () => {
    const { conversationId, members } = await group(2);
    const [ann, ben] = members as [string, string];
    const upload = 'f'.repeat(32);
    await suite.store.createUpload({
      id: upload,
      ownerId: ann,
      sha256: 'a'.repeat(64),
      size: 10,
      createdAt: NOW,
      quotaBytes: 100,
    });
    await suite.store.completeUpload(upload, NOW);
    const event = await send({ conversationId, senderId: ann, clientId: 'm1', attachments: [upload], expiresInMs: 30_000 });
    expect(await suite.store.findDownloadable(ben, upload)).toMatchObject({ id: upload });
    expect(await suite.store.listExpiredUploads(NOW + 1)).toEqual([]);

    await read(conversationId, ben, event.seq);
    expect(await sweep(NOW)).toEqual({ stamped: 1, purged: 0 });
    expect(await sweep(NOW + 30_000)).toEqual({ stamped: 0, purged: 1 });

    expect(await served(conversationId, ben, event.seq)).toMatchObject({ attachments: [], deleted: true });
    expect(await suite.store.findDownloadable(ben, upload)).toBeNull();
    expect(await suite.store.listExpiredUploads(NOW + 1)).toEqual([upload]);
  });

  it('never touches an envelope without a timer, nor one deleted for everyone, with a timer or without', async () => {
    const { conversationId, members } = await group(2);
    const [ann, ben] = members as [string, string];
    await send({ conversationId, senderId: ann, clientId: 'plain' });
    await send({ conversationId, senderId: ann, clientId: 'plain-deleted' });
    await send({ conversationId, senderId: ann, clientId: 'timed-deleted', expiresInMs: 30_000 });
    await send({ conversationId, senderId: ann, clientId: 'd1', deletes: 'plain-deleted' });
    const last = await send({ conversationId, senderId: ann, clientId: 'd2', deletes: 'timed-deleted' });
    await read(conversationId, ben, last.seq);
    const rows = `SELECT seq, ciphertext, deleted, payload, expires_in_ms, all_read_at FROM events
                  WHERE conversation_id = '${conversationId}' ORDER BY seq`;
    const before = await suite.database.query(rows);
    const log = await suite.store.readEvents({ conversationId, userId: ben, afterSeq: 0, limit: 10 });

    expect(await sweep(NOW + 365 * 24 * HOUR)).toEqual({ stamped: 0, purged: 0 });
    expect(await suite.database.query(rows)).toEqual(before);
    expect(await suite.store.readEvents({ conversationId, userId: ben, afterSeq: 0, limit: 10 })).toEqual(log);
  });

  it('stamps and purges at most `limit` a pass; the passes after it go on where it stopped', async () => {
    const { conversationId, members } = await group(2);
    const [ann, ben] = members as [string, string];
    let last = 0;
    for (let index = 1; index <= 5; index += 1) {
      last = (await send({ conversationId, senderId: ann, clientId: `m${index}`, expiresInMs: 30_000 })).seq;
    }
    await read(conversationId, ben, last);

    expect(await sweep(NOW, 2)).toEqual({ stamped: 2, purged: 0 });
    expect(await sweep(NOW, 2)).toEqual({ stamped: 2, purged: 0 });
    expect(await sweep(NOW + 30_000, 2)).toEqual({ stamped: 1, purged: 2 });
    expect(await sweep(NOW + 30_000, 2)).toEqual({ stamped: 0, purged: 2 });
    // The last one was stamped later, so its timer runs out later.
    expect(await sweep(NOW + 30_000, 2)).toEqual({ stamped: 0, purged: 0 });
    expect(await sweep(NOW + 60_000, 2)).toEqual({ stamped: 0, purged: 1 });
    const log = await suite.store.readEvents({ conversationId, userId: ben, afterSeq: 1, limit: 10 });
    expect(log?.events.map((event) => event.kind === 'envelope' && event.deleted)).toEqual([true, true, true, true, true]);
  });

  it('purges each envelope once when passes run at the same time', async () => {
    const { conversationId, members } = await group(2);
    const [ann, ben] = members as [string, string];
    let last = 0;
    for (let index = 1; index <= 20; index += 1) {
      last = (await send({ conversationId, senderId: ann, clientId: `m${index}`, expiresInMs: 30_000 })).seq;
    }
    await read(conversationId, ben, last);

    const stamps = await Promise.all([sweep(NOW, 8), sweep(NOW, 8), sweep(NOW, 8), sweep(NOW, 8)]);
    expect(stamps.reduce((sum, pass) => sum + pass.stamped, 0)).toBe(20);
    const purges = await Promise.all([sweep(NOW + 30_000, 8), sweep(NOW + 30_000, 8), sweep(NOW + 30_000, 8)]);
    expect(purges.reduce((sum, pass) => sum + pass.purged, 0)).toBe(20);
    expect(await sweep(NOW + 30_000)).toEqual({ stamped: 0, purged: 0 });
  });
});
